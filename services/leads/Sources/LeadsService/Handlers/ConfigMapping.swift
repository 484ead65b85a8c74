import LeadsDomain
import CRMDomain
import CRMWire

// The lead configuration between the wire (LeadsV1) and the domain.

extension LifecycleState {
    init?(_ wire: LeadsV1.LifecycleState) {
        switch wire {
        case .pending: self = .pending
        case .inProgress: self = .inProgress
        case .won: self = .won
        case .lost: self = .lost
        case .cancelled: self = .cancelled
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: LeadsV1.LifecycleState {
        switch self {
        case .pending: .pending
        case .inProgress: .inProgress
        case .won: .won
        case .lost: .lost
        case .cancelled: .cancelled
        }
    }
}

extension CatalogKind {
    init?(_ wire: LeadsV1.CatalogKind) {
        switch wire {
        case .category: self = .category
        case .lostReason: self = .lostReason
        case .competitor: self = .competitor
        case .sourceType: self = .sourceType
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: LeadsV1.CatalogKind {
        switch self {
        case .category: .category
        case .lostReason: .lostReason
        case .competitor: .competitor
        case .sourceType: .sourceType
        }
    }
}

extension CustomFieldType {
    init?(_ wire: LeadsV1.CustomFieldType) {
        switch wire {
        case .text: self = .text
        case .integer: self = .integer
        case .decimal: self = .decimal
        case .boolean: self = .boolean
        case .date: self = .date
        case .choice: self = .choice
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: LeadsV1.CustomFieldType {
        switch self {
        case .text: .text
        case .integer: .integer
        case .decimal: .decimal
        case .boolean: .boolean
        case .date: .date
        case .choice: .choice
        }
    }
}

extension LeadStatusRecord {
    var wire: LeadsV1.LeadStatus {
        LeadsV1.LeadStatus(id: id, name: name, state: state.wire, description: description, active: active, version: version)
    }

    init(_ w: LeadsV1.LeadStatus, field: String, into v: inout Violations) {
        let state = LifecycleState(w.state)
        if state == nil { v.add("\(field).state", "must be a life-cycle state") }
        self.init(id: w.id, name: TextRules.collapsed(w.name), state: state ?? .pending, description: w.description, active: w.active, version: w.version)
    }
}

extension LeadTypeRecord {
    var wire: LeadsV1.LeadType {
        LeadsV1.LeadType(
            id: id, name: name, description: description, statusIds: statusIDs, initialStatusId: initialStatusID,
            transitions: transitions.map { LeadsV1.StatusTransition(fromStatusId: $0.from, toStatusId: $0.to) },
            categoryIds: categoryIDs, defaultPriority: defaultPriority, defaultImportance: defaultImportance,
            estimatedCompletionMs: estimatedCompletionMs, active: active, version: version)
    }

    init(_ w: LeadsV1.LeadType) {
        self.init(
            id: w.id, name: TextRules.collapsed(w.name), description: w.description, statusIDs: w.statusIds, initialStatusID: w.initialStatusId,
            transitions: w.transitions.map { StatusTransition(from: $0.fromStatusId, to: $0.toStatusId) }, categoryIDs: w.categoryIds,
            defaultPriority: w.defaultPriority, defaultImportance: w.defaultImportance, estimatedCompletionMs: w.estimatedCompletionMs,
            active: w.active, version: w.version)
    }
}

extension CatalogItemRecord {
    var wire: LeadsV1.CatalogItem {
        LeadsV1.CatalogItem(id: id, kind: kind.wire, name: name, description: description, active: active, version: version)
    }

    init(_ w: LeadsV1.CatalogItem, field: String, into v: inout Violations) {
        let kind = CatalogKind(w.kind)
        if kind == nil { v.add("\(field).kind", "must be a catalogue kind") }
        self.init(id: w.id, kind: kind ?? .category, name: TextRules.collapsed(w.name), description: w.description, active: w.active, version: w.version)
    }
}

extension LevelLabel {
    var wire: LeadsV1.LevelLabel { LeadsV1.LevelLabel(level: level, label: label, supported: supported) }
    init(_ w: LeadsV1.LevelLabel) { self.init(level: w.level, label: TextRules.collapsed(w.label), supported: w.supported) }
}

extension LeadDefinitionRecord {
    var wire: LeadsV1.LeadDefinition {
        LeadsV1.LeadDefinition(
            id: id, name: name, allowedTypeIds: allowedTypeIDs, defaultTypeId: defaultTypeID, convertOnWin: convertOnWin,
            createOpportunityOnWin: createOpportunityOnWin, defaultPriority: defaultPriority, defaultImportance: defaultImportance,
            active: active, version: version, duplicateFields: duplicateFields)
    }

    init(_ w: LeadsV1.LeadDefinition) {
        self.init(
            id: w.id, name: TextRules.collapsed(w.name), allowedTypeIDs: w.allowedTypeIds, defaultTypeID: w.defaultTypeId,
            convertOnWin: w.convertOnWin, createOpportunityOnWin: w.createOpportunityOnWin, defaultPriority: w.defaultPriority,
            defaultImportance: w.defaultImportance, duplicateFields: w.duplicateFields.map(\.trimmingSpaces), active: w.active, version: w.version)
    }
}

extension CustomFieldRecord {
    var wire: LeadsV1.CustomFieldDefinition {
        LeadsV1.CustomFieldDefinition(
            id: id, key: key, label: label, type: type.wire, choices: choices, required: required, leadTypeIds: leadTypeIDs,
            pattern: pattern, active: active, version: version)
    }

    init(_ w: LeadsV1.CustomFieldDefinition, field: String, into v: inout Violations) {
        let type = CustomFieldType(w.type)
        if type == nil { v.add("\(field).type", "must be a custom field type") }
        self.init(
            id: w.id, key: w.key, label: TextRules.collapsed(w.label), type: type ?? .text, choices: w.choices, required: w.required,
            leadTypeIDs: w.leadTypeIds, pattern: w.pattern, active: w.active, version: w.version)
    }
}

extension LeadConfiguration {
    var wire: LeadsV1.Configuration {
        LeadsV1.Configuration(
            statuses: statuses.map(\.wire), types: types.map(\.wire), catalog: catalog.map(\.wire),
            priorityLabels: priorityLabels.map(\.wire), importanceLabels: importanceLabels.map(\.wire),
            definitions: definitions.map(\.wire), customFields: customFields.map(\.wire))
    }
}
