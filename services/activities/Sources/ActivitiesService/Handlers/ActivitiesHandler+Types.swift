import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire

extension ActivitiesHandler {
    func saveWorkType(request: ActivitiesV1.SaveWorkTypeRequest, context: ServerContext) async throws -> ActivitiesV1.WorkType {
        let caller = try context.caller()
        try WorkVisibility.requireAdmin(caller)
        guard let input = request.workType else { throw DomainError.invalid([Violation("work_type", "is required")]) }
        var v = Violations()
        if input.id < 0 { v.add("work_type.id", "must not be negative") }
        let scope = TypeScope(input.scope)
        if scope == nil { v.add("work_type.scope", "must be activity, task or incident") }
        var kind: ActivityKind?
        if input.activityKind != .unspecified {
            kind = ActivityKind(input.activityKind)
            if kind == nil { v.add("work_type.activity_kind", "is not a known kind") }
        }
        try v.check()
        // A new type is active; retiring is saving it with active = false.
        let type = try WorkTypeRecord.checked(WorkTypeRecord(
            id: input.id, scope: scope!, name: input.name, activityKind: kind, active: input.id == 0 ? true : input.active, version: input.version))
        return try await database.mutate(context, caller: caller, now: clock.millis()) { db in
            try WorkTypeStore.save(db, type).wire
        }
    }

    func listWorkTypes(request: ActivitiesV1.ListWorkTypesRequest, context: ServerContext) async throws -> ActivitiesV1.ListWorkTypesResponse {
        _ = try context.caller()
        var scope: TypeScope?
        if request.scope != .unspecified {
            guard let known = TypeScope(request.scope) else { throw DomainError.invalid([Violation("scope", "is not a known scope")]) }
            scope = known
        }
        let types = try await database.read { [scope] db in try WorkTypeStore.types(db, scope: scope, activeOnly: request.activeOnly) }
        return ActivitiesV1.ListWorkTypesResponse(workTypes: types.map(\.wire))
    }

    func listEvents(request: ActivitiesV1.ListEventsRequest, context: ServerContext) async throws -> ActivitiesV1.ListEventsResponse {
        try EventFeed<ActivitiesV1.ActivityEvent>.requireReader(try context.caller())
        let (events, head) = try await feed.list(after: request.after, limit: request.limit)
        return ActivitiesV1.ListEventsResponse(events: events, head: head)
    }

    func watchEvents(request: ActivitiesV1.WatchEventsRequest, response: ResponseWriter<ActivitiesV1.ActivityEvent>, context: ServerContext) async throws {
        try EventFeed<ActivitiesV1.ActivityEvent>.requireReader(try context.caller())
        try await feed.watch(after: request.after, to: response)
    }
}

extension ActivitiesV1.ActivityEvent: FeedEvent {}
