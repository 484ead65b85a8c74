import CRMDomain
import Foundation

/// Where a lead is in its life (shared with the read model of crm-reports).
public typealias LifecycleState = CRMDomain.LifecycleState

public struct LeadStatusRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var name: String
    public var state: LifecycleState
    public var description: String = ""
    public var active: Bool = true
    public var version: Int64 = 1

    public init(id: Int64 = 0, name: String, state: LifecycleState, description: String = "", active: Bool = true, version: Int64 = 1) {
        self.id = id
        self.name = name
        self.state = state
        self.description = description
        self.active = active
        self.version = version
    }
}

public struct StatusTransition: Sendable, Hashable, Codable {
    public var from: Int64
    public var to: Int64

    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }
}

public struct LeadTypeRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var name: String
    public var description: String = ""
    public var statusIDs: [Int64]
    public var initialStatusID: Int64
    public var transitions: [StatusTransition]
    public var categoryIDs: [Int64] = []
    public var defaultPriority: Int32 = 5
    public var defaultImportance: Int32 = 4
    public var estimatedCompletionMs: Int64 = 0
    public var active: Bool = true
    public var version: Int64 = 1

    public init(id: Int64 = 0, name: String, description: String = "", statusIDs: [Int64], initialStatusID: Int64, transitions: [StatusTransition], categoryIDs: [Int64] = [], defaultPriority: Int32 = 5, defaultImportance: Int32 = 4, estimatedCompletionMs: Int64 = 0, active: Bool = true, version: Int64 = 1) {
        self.id = id
        self.name = name
        self.description = description
        self.statusIDs = statusIDs
        self.initialStatusID = initialStatusID
        self.transitions = transitions
        self.categoryIDs = categoryIDs
        self.defaultPriority = defaultPriority
        self.defaultImportance = defaultImportance
        self.estimatedCompletionMs = estimatedCompletionMs
        self.active = active
        self.version = version
    }
}

public enum CatalogKind: String, Sendable, Hashable, CaseIterable {
    case category, lostReason = "lost_reason", competitor, sourceType = "source_type"
}

public struct CatalogItemRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var kind: CatalogKind
    public var name: String
    public var description: String = ""
    public var active: Bool = true
    public var version: Int64 = 1

    public init(id: Int64 = 0, kind: CatalogKind, name: String, description: String = "", active: Bool = true, version: Int64 = 1) {
        self.id = id
        self.kind = kind
        self.name = name
        self.description = description
        self.active = active
        self.version = version
    }
}

public struct LevelLabel: Sendable, Hashable {
    public var level: Int32
    public var label: String
    public var supported: Bool

    public init(level: Int32, label: String, supported: Bool) {
        self.level = level
        self.label = label
        self.supported = supported
    }
}

public struct LeadDefinitionRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var name: String
    public var allowedTypeIDs: [Int64]
    public var defaultTypeID: Int64
    public var convertOnWin: Bool = true
    public var createOpportunityOnWin: Bool = false
    public var defaultPriority: Int32 = 5
    public var defaultImportance: Int32 = 4
    /// Which fields make two leads duplicates (`DuplicateRule.Field` names); empty means the
    /// e-mails and phones.
    public var duplicateFields: [String] = []
    public var active: Bool = false
    public var version: Int64 = 1

    public init(id: Int64 = 0, name: String, allowedTypeIDs: [Int64], defaultTypeID: Int64, convertOnWin: Bool = true, createOpportunityOnWin: Bool = false, defaultPriority: Int32 = 5, defaultImportance: Int32 = 4, duplicateFields: [String] = [], active: Bool = false, version: Int64 = 1) {
        self.id = id
        self.name = name
        self.allowedTypeIDs = allowedTypeIDs
        self.defaultTypeID = defaultTypeID
        self.convertOnWin = convertOnWin
        self.createOpportunityOnWin = createOpportunityOnWin
        self.defaultPriority = defaultPriority
        self.defaultImportance = defaultImportance
        self.duplicateFields = duplicateFields
        self.active = active
        self.version = version
    }
}

public enum CustomFieldType: String, Sendable, Hashable, CaseIterable {
    case text, integer, decimal, boolean, date, choice
}

public struct CustomFieldRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var key: String
    public var label: String
    public var type: CustomFieldType
    public var choices: [String] = []
    public var required: Bool = false
    public var leadTypeIDs: [Int64] = []
    public var pattern: String = ""
    public var active: Bool = true
    public var version: Int64 = 1

    public init(id: Int64 = 0, key: String, label: String, type: CustomFieldType, choices: [String] = [], required: Bool = false, leadTypeIDs: [Int64] = [], pattern: String = "", active: Bool = true, version: Int64 = 1) {
        self.id = id
        self.key = key
        self.label = label
        self.type = type
        self.choices = choices
        self.required = required
        self.leadTypeIDs = leadTypeIDs
        self.pattern = pattern
        self.active = active
        self.version = version
    }
}

/// The whole lead configuration, checked as a whole after every change.
public struct LeadConfiguration: Sendable, Hashable {
    public var statuses: [LeadStatusRecord] = []
    public var types: [LeadTypeRecord] = []
    public var catalog: [CatalogItemRecord] = []
    public var priorityLabels: [LevelLabel] = []
    public var importanceLabels: [LevelLabel] = []
    public var definitions: [LeadDefinitionRecord] = []
    public var customFields: [CustomFieldRecord] = []

    public init() {}

    public func status(_ id: Int64) -> LeadStatusRecord? { statuses.first { $0.id == id } }
    public func type(_ id: Int64) -> LeadTypeRecord? { types.first { $0.id == id } }
    public func item(_ id: Int64, kind: CatalogKind) -> CatalogItemRecord? { catalog.first { $0.id == id && $0.kind == kind } }
    public var activeDefinition: LeadDefinitionRecord? { definitions.first { $0.active } }

    func prioritySupported(_ level: Int32) -> Bool { priorityLabels.contains { $0.level == level && $0.supported } }
    func importanceSupported(_ level: Int32) -> Bool { importanceLabels.contains { $0.level == level && $0.supported } }
}

extension LeadConfiguration {
    /// Every rule the parts must keep with each other; `focus` prefixes the violations of the
    /// item being saved, so they name the request's fields.
    public func violations() -> [Violation] {
        var v = Violations()
        func duplicates<T: Hashable>(_ values: [T]) -> Bool { Set(values).count != values.count }

        for s in statuses {
            let p = "status[\(s.id)]"
            TextRules.check(s.name, field: "\(p).name", required: true, max: 100, into: &v)
            TextRules.check(s.description, field: "\(p).description", required: false, max: 500, into: &v)
        }
        if duplicates(statuses.map { $0.name.lowercased() }) { v.add("status.name", "must be unique among statuses") }

        for t in types {
            let p = "lead_type[\(t.id)]"
            TextRules.check(t.name, field: "\(p).name", required: true, max: 100, into: &v)
            TextRules.check(t.description, field: "\(p).description", required: false, max: 500, into: &v)
            if t.statusIDs.isEmpty { v.add("\(p).status_ids", "must list at least one status") }
            if duplicates(t.statusIDs) { v.add("\(p).status_ids", "must not repeat a status") }
            for (i, id) in t.statusIDs.enumerated() where status(id) == nil { v.add("\(p).status_ids[\(i)]", "names no status (\(id))") }
            if let initial = status(t.initialStatusID) {
                if !t.statusIDs.contains(initial.id) { v.add("\(p).initial_status_id", "must be one of the type's statuses") }
                if initial.state != .pending { v.add("\(p).initial_status_id", "must be a PENDING status") }
                if !initial.active { v.add("\(p).initial_status_id", "must be an active status") }
            } else {
                v.add("\(p).initial_status_id", "names no status (\(t.initialStatusID))")
            }
            if duplicates(t.transitions) { v.add("\(p).transitions", "must not repeat a transition") }
            for (i, tr) in t.transitions.enumerated() {
                guard t.statusIDs.contains(tr.from), t.statusIDs.contains(tr.to), let from = status(tr.from), let to = status(tr.to) else {
                    v.add("\(p).transitions[\(i)]", "must connect two of the type's statuses")
                    continue
                }
                if tr.from == tr.to { v.add("\(p).transitions[\(i)]", "must connect two different statuses") }
                if from.state != to.state {
                    v.add("\(p).transitions[\(i)]", "must stay within one life-cycle state; moves between states are the life-cycle actions")
                }
            }
            for (i, id) in t.categoryIDs.enumerated() where item(id, kind: .category) == nil { v.add("\(p).category_ids[\(i)]", "names no category (\(id))") }
            if !(1...10).contains(t.defaultPriority) || !prioritySupported(t.defaultPriority) {
                v.add("\(p).default_priority", "must be a supported priority from 1 to 10")
            }
            if !(1...8).contains(t.defaultImportance) || !importanceSupported(t.defaultImportance) {
                v.add("\(p).default_importance", "must be a supported importance from 1 to 8")
            }
            if t.estimatedCompletionMs < 0 || t.estimatedCompletionMs > 10 * 365 * 86_400_000 {
                v.add("\(p).estimated_completion_ms", "must be from 0 to ten years")
            }
        }
        if duplicates(types.map { $0.name.lowercased() }) { v.add("lead_type.name", "must be unique among lead types") }

        for c in catalog {
            let p = "item[\(c.id)]"
            TextRules.check(c.name, field: "\(p).name", required: true, max: 100, into: &v)
            TextRules.check(c.description, field: "\(p).description", required: false, max: 500, into: &v)
        }
        for kind in CatalogKind.allCases where duplicates(catalog.filter { $0.kind == kind }.map { $0.name.lowercased() }) {
            v.add("item.name", "must be unique within its list")
        }

        checkLabels(priorityLabels, count: 10, field: "priority_labels", into: &v)
        checkLabels(importanceLabels, count: 8, field: "importance_labels", into: &v)

        for d in definitions {
            let p = "definition[\(d.id)]"
            TextRules.check(d.name, field: "\(p).name", required: true, max: 100, into: &v)
            if d.allowedTypeIDs.isEmpty { v.add("\(p).allowed_type_ids", "must allow at least one lead type") }
            for (i, id) in d.allowedTypeIDs.enumerated() where type(id) == nil { v.add("\(p).allowed_type_ids[\(i)]", "names no lead type (\(id))") }
            if !d.allowedTypeIDs.contains(d.defaultTypeID) { v.add("\(p).default_type_id", "must be one of the allowed types") }
            if !prioritySupported(d.defaultPriority) { v.add("\(p).default_priority", "must be a supported priority from 1 to 10") }
            if !importanceSupported(d.defaultImportance) { v.add("\(p).default_importance", "must be a supported importance from 1 to 8") }
            DuplicateRule.check(d.duplicateFields, customKeys: Set(customFields.map(\.key)), field: "\(p).duplicate_fields", into: &v)
        }
        if definitions.filter(\.active).count != 1 { v.add("definition.active", "exactly one lead definition must be active") }

        for f in customFields {
            let p = "field[\(f.id)]"
            let keyOK = (1...40).contains(f.key.count) && f.key.first.map { ("a"..."z").contains($0) } == true
                && f.key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            if !keyOK { v.add("\(p).key", "must be 1-40 characters of a-z, 0-9 and '_', starting with a letter") }
            TextRules.check(f.label, field: "\(p).label", required: true, max: 100, into: &v)
            if f.type == .choice {
                if f.choices.isEmpty || f.choices.count > 100 { v.add("\(p).choices", "must list 1 to 100 choices") }
                if duplicates(f.choices) { v.add("\(p).choices", "must not repeat a choice") }
                for (i, c) in f.choices.enumerated() { TextRules.check(c, field: "\(p).choices[\(i)]", required: true, max: 100, into: &v) }
            } else if !f.choices.isEmpty {
                v.add("\(p).choices", "are only for CHOICE fields")
            }
            if !f.pattern.isEmpty {
                if f.type != .text { v.add("\(p).pattern", "is only for TEXT fields") }
                if f.pattern.count > 200 || (try? NSRegularExpression(pattern: f.pattern)) == nil {
                    v.add("\(p).pattern", "must be a valid regular expression of at most 200 characters")
                }
            }
            for (i, id) in f.leadTypeIDs.enumerated() where type(id) == nil { v.add("\(p).lead_type_ids[\(i)]", "names no lead type (\(id))") }
        }
        if duplicates(customFields.map(\.key)) { v.add("field.key", "must be unique among custom fields") }
        return v.all
    }

    private func checkLabels(_ labels: [LevelLabel], count: Int32, field: String, into v: inout Violations) {
        if labels.map(\.level).sorted() != Array(1...count) { v.add(field, "must have one entry for each level from 1 to \(count)") }
        for (i, l) in labels.enumerated() { TextRules.check(l.label, field: "\(field)[\(i)].label", required: true, max: 50, into: &v) }
        if !labels.contains(where: \.supported) { v.add(field, "must support at least one level") }
    }
}
