import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

/// Lead configuration: `crm.leads.v1.LeadConfig`. Reads need any role, changes the admin role;
/// every change is checked against the whole configuration before it is stored.
struct LeadConfigHandler: LeadsV1.LeadConfig.ServiceProtocol {
    let env: Environment

    func getConfiguration(request: LeadsV1.GetConfigurationRequest, context: ServerContext) async throws -> LeadsV1.Configuration {
        _ = try context.caller()
        return try await env.database.read { db in try ConfigStore.load(db) }.wire
    }

    func saveStatus(request: LeadsV1.SaveStatusRequest, context: ServerContext) async throws -> LeadsV1.LeadStatus {
        var v = Violations()
        let status = LeadStatusRecord(request.status ?? LeadsV1.LeadStatus(), field: "status", into: &v)
        try v.check()
        return try await save(context, field: "status", table: "lead_status", id: status.id, version: status.version,
            change: { config, id in
                var s = status
                s.id = id
                if let i = config.statuses.firstIndex(where: { $0.id == id }) { config.statuses[i] = s } else { config.statuses.append(s) }
            },
            persist: { db in try ConfigStore.save(db, status) },
            render: { config, id in config.status(id)!.wire })
    }

    func saveLeadType(request: LeadsV1.SaveLeadTypeRequest, context: ServerContext) async throws -> LeadsV1.LeadType {
        let type = LeadTypeRecord(request.leadType ?? LeadsV1.LeadType())
        return try await save(context, field: "lead_type", table: "lead_type", id: type.id, version: type.version,
            change: { config, id in
                var t = type
                t.id = id
                if let i = config.types.firstIndex(where: { $0.id == id }) { config.types[i] = t } else { config.types.append(t) }
            },
            persist: { db in try ConfigStore.save(db, type) },
            render: { config, id in config.type(id)!.wire })
    }

    func saveCatalogItem(request: LeadsV1.SaveCatalogItemRequest, context: ServerContext) async throws -> LeadsV1.CatalogItem {
        var v = Violations()
        let item = CatalogItemRecord(request.item ?? LeadsV1.CatalogItem(), field: "item", into: &v)
        try v.check()
        return try await save(context, field: "item", table: "catalog_item", id: item.id, version: item.version,
            change: { config, id in
                var c = item
                c.id = id
                if let i = config.catalog.firstIndex(where: { $0.id == id }) {
                    guard config.catalog[i].kind == item.kind else { throw DomainError.invalid([Violation("item.kind", "cannot change")]) }
                    config.catalog[i] = c
                } else {
                    config.catalog.append(c)
                }
            },
            persist: { db in try ConfigStore.save(db, item) },
            render: { config, id in config.catalog.first { $0.id == id }!.wire })
    }

    func listCatalog(request: LeadsV1.ListCatalogRequest, context: ServerContext) async throws -> LeadsV1.ListCatalogResponse {
        _ = try context.caller()
        guard let kind = CatalogKind(request.kind) else { throw DomainError.invalid([Violation("kind", "must be a catalogue kind")]) }
        let config = try await env.database.read { db in try ConfigStore.load(db) }
        let items = config.catalog.filter { $0.kind == kind && (!request.activeOnly || $0.active) }
            .sorted { $0.name.localizedLowercase < $1.name.localizedLowercase }
        return LeadsV1.ListCatalogResponse(items: items.map(\.wire))
    }

    func setLevelLabels(request: LeadsV1.SetLevelLabelsRequest, context: ServerContext) async throws -> LeadsV1.SetLevelLabelsResponse {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        let priority = request.priorityLabels.map(LevelLabel.init)
        let importance = request.importanceLabels.map(LevelLabel.init)
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            var config = try ConfigStore.load(db)
            config.priorityLabels = priority
            config.importanceLabels = importance
            try Self.check(config, field: "labels", id: 0)
            try ConfigStore.saveLabels(db, priority: priority, importance: importance)
            try appendEvent(db, LeadsV1.LeadEvent(type: .configurationChanged, at: now, actorId: caller.userID))
            return LeadsV1.SetLevelLabelsResponse(priorityLabels: priority.map(\.wire), importanceLabels: importance.map(\.wire))
        }
    }

    func saveDefinition(request: LeadsV1.SaveDefinitionRequest, context: ServerContext) async throws -> LeadsV1.LeadDefinition {
        let definition = LeadDefinitionRecord(request.definition ?? LeadsV1.LeadDefinition())
        // Saving never switches a definition on or off: ActivateDefinition does, for both at once.
        return try await save(context, field: "definition", table: "lead_definition", id: definition.id, version: definition.version,
            change: { config, id in
                var d = definition
                d.id = id
                if let i = config.definitions.firstIndex(where: { $0.id == id }) {
                    d.active = config.definitions[i].active
                    config.definitions[i] = d
                } else {
                    d.active = false
                    config.definitions.append(d)
                }
            },
            persist: { db in
                var d = definition
                d.active = try ConfigStore.isActiveDefinition(db, id: definition.id)
                return try ConfigStore.save(db, d)
            },
            render: { config, id in config.definitions.first { $0.id == id }!.wire })
    }

    func activateDefinition(request: LeadsV1.ActivateDefinitionRequest, context: ServerContext) async throws -> LeadsV1.LeadDefinition {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            try Self.checkVersion(db, table: "lead_definition", id: request.id, version: request.version, what: "definition")
            var config = try ConfigStore.load(db)
            let before = DuplicateRule(config)
            for i in config.definitions.indices { config.definitions[i].active = config.definitions[i].id == request.id }
            try Self.check(config, field: "definition", id: request.id)
            try ConfigStore.activate(db, definitionID: request.id)
            try Self.reindex(db, from: before, to: config)
            try appendEvent(db, LeadsV1.LeadEvent(type: .configurationChanged, entityId: request.id, at: now, actorId: caller.userID))
            return try ConfigStore.load(db).definitions.first { $0.id == request.id }!.wire
        }
    }

    func saveCustomField(request: LeadsV1.SaveCustomFieldRequest, context: ServerContext) async throws -> LeadsV1.CustomFieldDefinition {
        var v = Violations()
        let field = CustomFieldRecord(request.field ?? LeadsV1.CustomFieldDefinition(), field: "field", into: &v)
        try v.check()
        return try await save(context, field: "field", table: "custom_field", id: field.id, version: field.version,
            change: { config, id in
                var f = field
                f.id = id
                if let i = config.customFields.firstIndex(where: { $0.id == id }) {
                    // Stored values are typed by key: neither may change.
                    var v = Violations()
                    if config.customFields[i].key != field.key { v.add("field.key", "cannot change") }
                    if config.customFields[i].type != field.type { v.add("field.type", "cannot change") }
                    try v.check()
                    config.customFields[i] = f
                } else {
                    config.customFields.append(f)
                }
            },
            persist: { db in try ConfigStore.save(db, field) },
            render: { config, id in config.customFields.first { $0.id == id }!.wire })
    }

    // MARK: the one way every item is saved

    /// Checks the version, applies `change` to the configuration, validates the whole, and only
    /// then persists; the event and the answer come from what was stored.
    private func save<Response: WireMessage>(
        _ context: ServerContext,
        field: String,
        table: String,
        id: Int64,
        version: Int64,
        change: @escaping @Sendable (inout LeadConfiguration, Int64) throws -> Void,
        persist: @escaping @Sendable (Database) throws -> Int64,
        render: @escaping @Sendable (LeadConfiguration, Int64) -> Response
    ) async throws -> Response {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        if id < 0 { throw DomainError.invalid([Violation("\(field).id", "must be 0 to create, or the id of the one to change")]) }
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            if id != 0 { try Self.checkVersion(db, table: table, id: id, version: version, what: field) }
            var config = try ConfigStore.load(db)
            let before = DuplicateRule(config)
            let candidateID = id == 0 ? Self.newItem : id
            try change(&config, candidateID)
            try Self.check(config, field: field, id: candidateID)
            let savedID = try persist(db)
            try appendEvent(db, LeadsV1.LeadEvent(type: .configurationChanged, entityId: savedID, at: now, actorId: caller.userID))
            let saved = try ConfigStore.load(db)
            try Self.reindex(db, from: before, to: saved)
            return render(saved, savedID)
        }
    }

    /// A change of the duplicate rule (a definition's fields, another definition active, a custom
    /// field retired) rebuilds the keys it indexes, in the same transaction: every lead is
    /// checked by the new rule from the moment it is committed.
    private static func reindex(_ db: Database, from before: DuplicateRule, to configuration: LeadConfiguration) throws {
        let after = DuplicateRule(configuration)
        if after.indexed != before.indexed { try LeadStore.reindex(db, from: before, to: after) }
    }

    /// The id a new item has while the configuration is checked, before the database gives it one.
    private static let newItem = Int64.max

    private static func checkVersion(_ db: Database, table: String, id: Int64, version: Int64, what: String) throws {
        guard let current = try ConfigStore.version(db, table: table, id: id) else { throw DomainError.notFound("no \(what) with id \(id)") }
        guard current == version else { throw DomainError.stale("\(what) \(id) is at version \(current), not \(version): read it again") }
    }

    /// The configuration's violations, with the saved item's renamed to the request's field.
    private static func check(_ config: LeadConfiguration, field: String, id: Int64) throws {
        let violations = config.violations().map { violation -> Violation in
            var v = violation
            let own = "\(field)[\(id)]"
            if v.field.hasPrefix(own) { v.field = field + v.field.dropFirst(own.count) }
            return v
        }
        if !violations.isEmpty { throw DomainError.invalid(violations) }
    }
}
