import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import GRDB

extension ActivitiesHandler {
    func scheduleActivity(request: ActivitiesV1.ScheduleActivityRequest, context: ServerContext) async throws -> ActivitiesV1.Activity {
        let caller = try context.caller()
        guard let input = request.activity else { throw DomainError.invalid([Violation("activity", "is required")]) }
        let now = clock.millis()
        var activity = ActivityRecord(leadID: input.leadId, typeID: input.typeId, kind: .other, subject: input.subject, startAt: input.startAt, endAt: input.endAt, assigneeID: input.assigneeId)
        activity.description = input.description
        activity.location = input.location
        var v = Violations()
        WorkRules.check(&activity, into: &v)
        if input.assigneeId < 0 { v.add("activity.assignee_id", "must not be negative") }
        try v.check()
        // The request's own rules first; then what only crm-leads can say.
        let (assigneeID, unitID) = try await assignee(input.assigneeId, field: "activity.assignee_id", caller, context)
        activity.lead = try await visibleLead(activity.leadID, context)
        activity.assigneeID = assigneeID
        activity.assigneeUnitID = unitID
        activity.createdBy = caller.userID
        activity.createdAt = now
        activity.updatedAt = now
        return try await database.mutate(context, caller: caller, now: now) { [activity] db in
            var activity = activity
            activity.kind = try WorkTypeStore.usable(db, id: activity.typeID, scope: .activity, field: "activity.type_id").activityKind ?? .other
            let saved = try ActivityStore.insert(db, activity)
            let wire = saved.wire(now: now)
            try Self.append(db, .created, EntityReference(.activity, saved.id), actor: caller.userID, at: now, .activity(wire))
            return wire
        }
    }

    func getActivity(request: ActivitiesV1.GetRequest, context: ServerContext) async throws -> ActivitiesV1.Activity {
        let caller = try context.caller()
        try Self.requireID(request.id)
        return try await visibleActivity(request.id, caller, context).wire(now: clock.millis())
    }

    /// The activity, when the caller may see it; NOT_FOUND otherwise.
    func visibleActivity(_ id: Int64, _ caller: Caller, _ context: ServerContext) async throws -> ActivityRecord {
        guard let activity = try await database.read({ db in try ActivityStore.activity(db, id: id) }),
              try await sees(caller, assigneeID: activity.assigneeID, assigneeUnitID: activity.assigneeUnitID, createdBy: activity.createdBy, leadID: activity.leadID, context)
        else { throw DomainError.notFound("no activity with id \(id)") }
        return activity
    }

    func updateActivity(request: ActivitiesV1.UpdateActivityRequest, context: ServerContext) async throws -> ActivitiesV1.Activity {
        let caller = try context.caller()
        try Self.requireID(request.id)
        var v = Violations()
        if request.updateMask.contains("lead_id") { v.add("update_mask", "lead_id cannot change: cancel this activity and schedule one for the other lead") }
        let fields = Self.mask(request.updateMask.filter { $0 != "lead_id" }, of: "ActivityInput",
                               known: ["type_id", "subject", "description", "start_at", "end_at", "location", "assignee_id"], into: &v)
        let input = request.activity ?? ActivitiesV1.ActivityInput()
        try v.check()
        let current = try await visibleActivity(request.id, caller, context)
        try WorkRules.requireOpen(current.status, what: "activity \(current.id)")
        var changed = current
        if fields.contains("type_id") { changed.typeID = input.typeId }
        if fields.contains("subject") { changed.subject = input.subject }
        if fields.contains("description") { changed.description = input.description }
        if fields.contains("start_at") { changed.startAt = input.startAt }
        if fields.contains("end_at") { changed.endAt = input.endAt }
        if fields.contains("location") { changed.location = input.location }
        if fields.contains("start_at") && !fields.contains("end_at") {
            changed.endAt = input.startAt + (current.endAt - current.startAt)  // moved, same length
        }
        WorkRules.check(&changed, into: &v)
        try v.check()
        if fields.contains("assignee_id") {
            (changed.assigneeID, changed.assigneeUnitID) = try await assignee(input.assigneeId, field: "activity.assignee_id", caller, context)
        }
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { [changed] db in
            guard let stored = try ActivityStore.activity(db, id: changed.id) else { throw DomainError.notFound("no activity with id \(changed.id)") }
            try WorkRules.requireVersion(request.version, current: stored.version, what: "activity \(stored.id)")
            try WorkRules.requireOpen(stored.status, what: "activity \(stored.id)")
            var next = changed
            if fields.contains("type_id") {
                next.kind = try WorkTypeStore.usable(db, id: next.typeID, scope: .activity, field: "activity.type_id").activityKind ?? .other
            }
            next.version = stored.version + 1
            next.updatedAt = now
            try ActivityStore.update(db, next)
            let wire = next.wire(now: now)
            try Self.append(db, .updated, EntityReference(.activity, next.id), actor: caller.userID, at: now, .activity(wire))
            return wire
        }
    }

    func completeActivity(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.Activity {
        try await closeActivity(request, as: .completed, context)
    }

    func cancelActivity(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.Activity {
        try await closeActivity(request, as: .cancelled, context)
    }

    private func closeActivity(_ request: ActivitiesV1.CloseRequest, as status: WorkStatus, _ context: ServerContext) async throws -> ActivitiesV1.Activity {
        let caller = try context.caller()
        try Self.requireID(request.id)
        try Self.checkOutcome(request.outcome)
        _ = try await visibleActivity(request.id, caller, context)
        return try await close(request, as: status, caller, context, load: ActivityStore.activity, save: ActivityStore.update) { activity, now in
            let wire = activity.wire(now: now)
            return (wire, .activity(wire), EntityReference(.activity, activity.id))
        }
    }

    func deleteActivity(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.DeleteResponse {
        let caller = try context.caller()
        try Self.requireID(request.id)
        _ = try await visibleActivity(request.id, caller, context)
        return try await deleteWork(id: request.id, version: request.version, kind: .activity, caller, context,
                                    stored: { db, id in try ActivityStore.activity(db, id: id)?.version }, remove: { db, id in try ActivityStore.delete(db, id: id) })
    }

    static let activitySorts: [String: ListQuery.SortColumn] = [
        "start_at": .init("start_at"), "end_at": .init("end_at"), "created_at": .init("created_at"),
        "updated_at": .init("updated_at"), "subject": .init("subject", text: true), "status": .init("status", text: true),
        "assignee_id": .init("assignee_id"), "lead_id": .init("lead_id"), "id": .init("id"),
    ]

    func listActivities(request: ActivitiesV1.ListActivitiesRequest, context: ServerContext) async throws -> ActivitiesV1.ListActivitiesResponse {
        let caller = try context.caller()
        let filter = request.filter ?? ActivitiesV1.ActivityFilter()
        var v = Violations()
        let limit = PageSize.resolve(request.pageSize, into: &v)
        let order = ListQuery.order(Self.sortKeys(request.sort), allowed: Self.activitySorts, default: [(.init("start_at"), false)], into: &v)
        var query = ListQuery(table: "activity", order: order)
        if filter.leadId < 0 { v.add("filter.lead_id", "must not be negative") }
        if filter.leadId > 0 { query.require("lead_id = ?", [filter.leadId]) }
        query.require("assignee_id", in: Self.ids(filter.assigneeIds, field: "filter.assignee_ids", into: &v))
        if filter.mine { query.require("assignee_id = ?", [caller.userID]) }
        query.require("status", in: Self.values(filter.statuses, field: "filter.statuses", WorkStatus.init, into: &v).map(\.rawValue))
        query.require("kind", in: Self.values(filter.kinds, field: "filter.kinds", ActivityKind.init, into: &v).map(\.rawValue))
        query.require("type_id", in: Self.ids(filter.typeIds, field: "filter.type_ids", into: &v))
        Self.range(filter.start, column: "start_at", field: "filter.start", to: &query, into: &v)
        let asOf = instant(filter.overdueAsOf, field: "filter.overdue_as_of", into: &v)
        if filter.overdueOnly { query.require("status = 'open' AND end_at < ?", [asOf]) }
        let (fingerprint, cursor) = Self.pageStart(request, caller, into: &v)
        try v.check()
        try await restrict(&query, leadID: filter.leadId, caller, context)
        let now = clock.millis()
        let page = try await database.read { [query] db in
            try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, record: ActivityStore.record)
        }
        return ActivitiesV1.ListActivitiesResponse(activities: page.records.map { $0.wire(now: now) }, nextPageToken: page.next?.token ?? "", totalCount: page.total)
    }

    func getOpenWork(request: ActivitiesV1.GetOpenWorkRequest, context: ServerContext) async throws -> ActivitiesV1.GetOpenWorkResponse {
        let caller = try context.caller()
        try Self.requireID(request.leadId, field: "lead_id")
        // On the path of every win, loss and cancellation: the open items' ids, subjects and
        // times from the (lead_id, status) indexes, and crm-leads is asked only for callers who
        // do not see every lead.
        let open = try await database.read { db in try OpenWorkStore.open(db, leadID: request.leadId) }
        if !caller.role.seesAllLeads { _ = try await visibleLead(request.leadId, context) }
        var descriptions = open.prefix(Self.describedOpenWork).map { item in
            item.isTask
                ? "task \(item.id) (\(item.title)\(item.at == 0 ? "" : ", due \(Timestamp.format(item.at))"))"
                : "activity \(item.id) (\(item.title), ends \(Timestamp.format(item.at)))"
        }
        if open.count > Self.describedOpenWork { descriptions.append("and \(open.count - Self.describedOpenWork) more") }
        return ActivitiesV1.GetOpenWorkResponse(
            openActivityIds: open.filter { !$0.isTask }.map(\.id), openTaskIds: open.filter(\.isTask).map(\.id), descriptions: descriptions)
    }

    /// How many open items a refusal names one by one.
    static let describedOpenWork = 10
}
