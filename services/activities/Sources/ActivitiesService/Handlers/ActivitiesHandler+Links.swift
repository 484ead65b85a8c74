import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB

extension ActivitiesHandler {
    func createLink(request: ActivitiesV1.CreateLinkRequest, context: ServerContext) async throws -> ActivitiesV1.Link {
        let caller = try context.caller()
        var v = Violations()
        let a = EntityReference(request.a)
        let b = EntityReference(request.b)
        if a == nil { v.add("a", "must name a lead, activity, task or incident by kind and a positive id") }
        if b == nil { v.add("b", "must name a lead, activity, task or incident by kind and a positive id") }
        if let a, a == b { v.add("b", "is the same as a: a link joins two different things") }
        try v.check()
        try await requireVisible(a!, caller, context)
        try await requireVisible(b!, caller, context)
        let now = clock.millis()
        var link = LinkRecord(a!, b!)
        link.createdBy = caller.userID
        link.createdAt = now
        return try await database.mutate(context, caller: caller, now: now) { [link] db in
            for end in [link.a, link.b] { try Self.requireExists(db, end) }
            let saved = try LinkStore.insert(db, link)
            try Self.append(db, .linked, saved.a, actor: caller.userID, at: now, .link(saved.wire))
            return saved.wire
        }
    }

    func deleteLink(request: ActivitiesV1.DeleteLinkRequest, context: ServerContext) async throws -> ActivitiesV1.DeleteResponse {
        let caller = try context.caller()
        try Self.requireID(request.id)
        guard let link = try await database.read({ db in try LinkStore.link(db, id: request.id) }) else {
            throw DomainError.notFound("no link with id \(request.id)")
        }
        do {
            try await requireVisible(link.a, caller, context)
            try await requireVisible(link.b, caller, context)
        } catch DomainError.notFound {
            throw DomainError.notFound("no link with id \(request.id)")
        }
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard let stored = try LinkStore.link(db, id: request.id) else { throw DomainError.notFound("no link with id \(request.id)") }
            try LinkStore.delete(db, id: stored.id)
            // A removed link's snapshot says which one went.
            try Self.append(db, .deleted, stored.a, actor: caller.userID, at: now, .link(stored.wire))
            return ActivitiesV1.DeleteResponse()
        }
    }

    func listLinks(request: ActivitiesV1.ListLinksRequest, context: ServerContext) async throws -> ActivitiesV1.ListLinksResponse {
        let caller = try context.caller()
        guard let entity = EntityReference(request.entity) else {
            throw DomainError.invalid([Violation("entity", "must name a lead, activity, task or incident by kind and a positive id")])
        }
        try await requireVisible(entity, caller, context)
        let links = try await database.read { db in try LinkStore.links(db, of: entity) }
        // The other ends are listed only where the caller may see them.
        var visible: [ActivitiesV1.Link] = []
        for link in links {
            let other = link.a == entity ? link.b : link.a
            if (try? await requireVisible(other, caller, context)) != nil { visible.append(link.wire) }
        }
        return ActivitiesV1.ListLinksResponse(links: visible)
    }

    /// NOT_FOUND unless `entity` exists and the caller may see it.
    func requireVisible(_ entity: EntityReference, _ caller: Caller, _ context: ServerContext) async throws {
        switch entity.kind {
        case .lead: _ = try await visibleLead(entity.id, context)
        case .activity: _ = try await visibleActivity(entity.id, caller, context)
        case .task: _ = try await visibleTask(entity.id, caller, context)
        case .incident: _ = try await visibleIncident(entity.id, caller, context)
        }
    }

    /// In the writing transaction: the entity still exists (a lead is crm-leads' and was checked there).
    static func requireExists(_ db: Database, _ entity: EntityReference) throws {
        let exists: Bool = switch entity.kind {
        case .lead: true
        case .activity: try ActivityStore.activity(db, id: entity.id) != nil
        case .task: try TaskStore.task(db, id: entity.id) != nil
        case .incident: try IncidentStore.incident(db, id: entity.id) != nil
        }
        guard exists else { throw DomainError.notFound("no \(entity.kind.rawValue) with id \(entity.id)") }
    }
}
