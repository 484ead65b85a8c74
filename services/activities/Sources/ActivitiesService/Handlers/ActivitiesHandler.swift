import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB

/// crm-activities' RPCs. Authentication and error mapping are the kit's interceptors: each
/// method reads its caller from the context, checks its request, and runs its business call.
struct ActivitiesHandler: ActivitiesV1.Activities.ServiceProtocol {
    let database: ServiceDatabase
    let leads: LeadsPeer
    let clock: WallClock
    var feed: EventFeed<ActivitiesV1.ActivityEvent> { EventFeed(database: database) }

    // MARK: shared checks

    /// The lead as `caller` may see it; NOT_FOUND when it does not exist or is hidden.
    func visibleLead(_ id: Int64, _ context: ServerContext) async throws -> LeadSummary {
        guard let lead = try await leads.lead(id, context) else {
            throw DomainError.notFound("no lead with id \(id) that you may see")
        }
        return lead
    }

    /// Whether `caller` sees work with these owners and lead (asking crm-leads only when the
    /// owners alone do not decide it).
    func sees(_ caller: Caller, assigneeID: Int64, assigneeUnitID: Int64, createdBy: Int64, leadID: Int64, _ context: ServerContext) async throws -> Bool {
        if WorkVisibility.seesDirectly(caller, assigneeID: assigneeID, assigneeUnitID: assigneeUnitID, createdBy: createdBy) { return true }
        guard leadID != 0 else { return false }
        return try await leads.lead(leadID, context) != nil
    }

    /// The user work is assigned to (0: the caller) and their unit; the caller must be allowed
    /// to assign to them.
    func assignee(_ requested: Int64, field: String, _ caller: Caller, _ context: ServerContext) async throws -> (id: Int64, unitID: Int64) {
        if requested < 0 { throw DomainError.invalid([Violation(field, "must not be negative")]) }
        if requested == 0 || requested == caller.userID {
            return (caller.userID, caller.role == .service ? 0 : caller.unitID)
        }
        guard let unit = try await leads.userUnit(requested, context) else {
            throw DomainError.invalid([Violation(field, "names no active user (\(requested))")])
        }
        guard WorkVisibility.mayAssign(caller, to: requested, assigneeUnitID: unit) else {
            throw DomainError.permissionDenied("you may assign work only to yourself\(caller.role == .unitManager ? " or your unit's members" : "")")
        }
        return (requested, unit)
    }

    /// Appends an event of the feed in the current transaction.
    static func append(_ db: Database, _ type: ActivitiesV1.ActivityEventType, _ entity: EntityReference, actor: Int64, at: Int64, _ snapshot: ActivitiesV1.ActivityEvent.Snapshot?) throws {
        let event = ActivitiesV1.ActivityEvent(type: type, entity: entity.wire, at: at, actorId: actor, snapshot: snapshot)
        try EventOutbox.append(db, event, type: type.protoValue, entityID: entity.id, actorID: actor, at: at)
    }

    /// Completes or cancels an activity or a task whose request and visibility the caller of
    /// this has checked, in one transaction with its event.
    func close<Work: ClosableWork, Response: WireMessage>(
        _ request: ActivitiesV1.CloseRequest, as status: WorkStatus, _ caller: Caller, _ context: ServerContext,
        load: @escaping @Sendable (Database, Int64) throws -> Work?,
        save: @escaping @Sendable (Database, Work) throws -> Void,
        answer: @escaping @Sendable (Work, Int64) -> (Response, ActivitiesV1.ActivityEvent.Snapshot, EntityReference)
    ) async throws -> Response {
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard var work = try load(db, request.id) else { throw DomainError.notFound("no such work with id \(request.id)") }
            try WorkRules.requireVersion(request.version, current: work.version, what: work.reference)
            try work.close(status, outcome: request.outcome, at: now)
            try save(db, work)
            let (response, snapshot, entity) = answer(work, now)
            try Self.append(db, .updated, entity, actor: caller.userID, at: now, snapshot)
            return response
        }
    }

    /// The fields an update names: at least one, each one of `known`.
    static func mask(_ mask: [String], of message: String, known: Set<String>, into v: inout Violations) -> Set<String> {
        let fields = Set(mask)
        if fields.isEmpty { v.add("update_mask", "must name the fields to change: \(known.sorted().joined(separator: ", "))") }
        if mask.count > 50 { v.add("update_mask", "names too many fields") }
        for field in fields.subtracting(known).sorted().prefix(10) { v.add("update_mask", "names no field of \(message) that can change: \(field.prefix(100))") }
        return fields.intersection(known)
    }

    /// Deletes an activity, task or incident whose visibility the caller of this has checked,
    /// with its links, in one transaction with its event. `version` reads the stored version
    /// (nil when it is gone).
    func deleteWork(
        id: Int64, version: Int64, kind: WorkEntity, _ caller: Caller, _ context: ServerContext,
        stored: @escaping @Sendable (Database, Int64) throws -> Int64?,
        remove: @escaping @Sendable (Database, Int64) throws -> Void
    ) async throws -> ActivitiesV1.DeleteResponse {
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard let current = try stored(db, id) else { throw DomainError.notFound("no \(kind.rawValue) with id \(id)") }
            try WorkRules.requireVersion(version, current: current, what: "\(kind.rawValue) \(id)")
            try remove(db, id)
            try Self.append(db, .deleted, EntityReference(kind, id), actor: caller.userID, at: now, nil)
            return ActivitiesV1.DeleteResponse()
        }
    }

    /// What came of work, as a close request gives it.
    static func checkOutcome(_ outcome: String) throws(DomainError) {
        var v = Violations()
        WorkRules.outcome.check(outcome, field: "outcome", into: &v)
        try v.check()
    }

    /// Refuses a request without an id.
    static func requireID(_ id: Int64, field: String = "id") throws(DomainError) {
        if id <= 0 { throw DomainError.invalid([Violation(field, "must be a positive id")]) }
    }

    /// The instant overdue is judged at: `asOf`, or now.
    func instant(_ asOf: Int64, field: String, into v: inout Violations) -> Int64 {
        if asOf < 0 { v.add(field, "must not be negative") }
        return asOf > 0 ? asOf : clock.millis()
    }

    /// Adds a half-open time range on `column` to `query`.
    static func range(_ range: RpcV1.TimeRange?, column: String, field: String, to query: inout ListQuery, into v: inout Violations) {
        guard let range else { return }
        if range.fromMs < 0 || range.toMs < 0 { v.add(field, "must not be negative") }
        if range.toMs != 0 && range.toMs < range.fromMs { v.add("\(field).to_ms", "must not be before from_ms") }
        if range.fromMs > 0 { query.require("\(column) >= ?", [range.fromMs]) }
        if range.toMs > 0 { query.require("\(column) < ?", [range.toMs]) }
    }

    /// Restricts a list to the work `caller` sees by its owners (a list for one lead the
    /// caller may see is not restricted: all of that lead's work is visible).
    static func restrictToOwnWork(_ caller: Caller, _ query: inout ListQuery) {
        guard !caller.role.seesAllLeads else { return }
        if caller.role == .unitManager && caller.unitID != 0 {
            query.require("assignee_id = ? OR created_by = ? OR assignee_unit_id = ?", [caller.userID, caller.userID, caller.unitID])
        } else {
            query.require("assignee_id = ? OR created_by = ?", [caller.userID, caller.userID])
        }
    }

    /// Where a list request's page starts: its query's fingerprint (filter, order, caller) and
    /// the cursor its token holds, or a violation of `page_token`.
    static func pageStart<Request: PagedRequest>(_ request: Request, _ caller: Caller, into v: inout Violations) -> (fingerprint: String, cursor: PageCursor?) {
        let fingerprint = PageCursor.fingerprint(of: request, caller: caller) { $0.pageToken = ""; $0.pageSize = 0 }
        return (fingerprint, PageCursor.decode(request.pageToken, query: fingerprint, into: &v))
    }

    /// Narrows a list to what `caller` sees: all work of one lead they may see (crm-leads is
    /// asked), or else the work they see by its owners.
    func restrict(_ query: inout ListQuery, leadID: Int64, _ caller: Caller, _ context: ServerContext) async throws {
        if leadID > 0 && !caller.role.seesAllLeads {
            _ = try await visibleLead(leadID, context)
        } else {
            Self.restrictToOwnWork(caller, &query)
        }
    }

    /// The ids in a repeated filter field: each positive, at most 100.
    static func ids(_ values: [Int64], field: String, into v: inout Violations) -> [Int64] {
        if values.count > 100 { v.add(field, "may list at most 100 ids") }
        if values.contains(where: { $0 <= 0 }) { v.add(field, "must hold positive ids") }
        return Array(values.prefix(100))
    }

    /// The enum values of a repeated filter field; unknown ones are violations.
    static func values<Wire, Value>(_ wire: [Wire], field: String, _ convert: (Wire) -> Value?, into v: inout Violations) -> [Value] {
        if wire.count > 20 { v.add(field, "may list at most 20 values") }
        var values: [Value] = []
        for (index, item) in wire.prefix(20).enumerated() {
            if let value = convert(item) { values.append(value) } else { v.add("\(field)[\(index)]", "is not a known value") }
        }
        return values
    }

    /// The requested sort keys.
    static func sortKeys(_ sort: [RpcV1.SortKey]) -> [(field: String, descending: Bool)] {
        sort.map { ($0.field, $0.descending) }
    }
}
