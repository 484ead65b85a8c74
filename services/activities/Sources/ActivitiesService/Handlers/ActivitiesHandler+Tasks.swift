import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB

extension ActivitiesHandler {
    func createTask(request: ActivitiesV1.CreateTaskRequest, context: ServerContext) async throws -> ActivitiesV1.Task {
        let caller = try context.caller()
        guard let input = request.task else { throw DomainError.invalid([Violation("task", "is required")]) }
        let now = clock.millis()
        var task = TaskRecord(title: input.title, assigneeID: input.assigneeId)
        task.description = input.description
        task.typeID = input.typeId
        task.dueAt = input.dueAt
        task.leadID = input.leadId
        var v = Violations()
        WorkRules.check(task, into: &v)
        if input.assigneeId < 0 { v.add("task.assignee_id", "must not be negative") }
        try v.check()
        (task.assigneeID, task.assigneeUnitID) = try await assignee(input.assigneeId, field: "task.assignee_id", caller, context)
        if task.leadID != 0 { _ = try await visibleLead(task.leadID, context) }
        task.createdBy = caller.userID
        task.createdAt = now
        task.updatedAt = now
        return try await database.mutate(context, caller: caller, now: now) { [task] db in
            if task.typeID != 0 { _ = try WorkTypeStore.usable(db, id: task.typeID, scope: .task, field: "task.type_id") }
            let saved = try TaskStore.insert(db, task)
            let wire = saved.wire(now: now)
            try Self.append(db, .created, EntityReference(.task, saved.id), actor: caller.userID, at: now, .task(wire))
            return wire
        }
    }

    func getTask(request: ActivitiesV1.GetRequest, context: ServerContext) async throws -> ActivitiesV1.Task {
        let caller = try context.caller()
        try Self.requireID(request.id)
        return try await visibleTask(request.id, caller, context).wire(now: clock.millis())
    }

    func visibleTask(_ id: Int64, _ caller: Caller, _ context: ServerContext) async throws -> TaskRecord {
        guard let task = try await database.read({ db in try TaskStore.task(db, id: id) }),
              try await sees(caller, assigneeID: task.assigneeID, assigneeUnitID: task.assigneeUnitID, createdBy: task.createdBy, leadID: task.leadID, context)
        else { throw DomainError.notFound("no task with id \(id)") }
        return task
    }

    func updateTask(request: ActivitiesV1.UpdateTaskRequest, context: ServerContext) async throws -> ActivitiesV1.Task {
        let caller = try context.caller()
        try Self.requireID(request.id)
        var v = Violations()
        let fields = Self.mask(request.updateMask, of: "TaskInput", known: ["title", "description", "type_id", "assignee_id", "due_at", "lead_id"], into: &v)
        try v.check()
        let input = request.task ?? ActivitiesV1.TaskInput()
        let current = try await visibleTask(request.id, caller, context)
        try WorkRules.requireOpen(current.status, what: "task \(current.id)")
        var changed = current
        if fields.contains("title") { changed.title = input.title }
        if fields.contains("description") { changed.description = input.description }
        if fields.contains("type_id") { changed.typeID = input.typeId }
        if fields.contains("due_at") { changed.dueAt = input.dueAt }
        if fields.contains("lead_id") { changed.leadID = input.leadId }
        WorkRules.check(changed, into: &v)
        try v.check()
        if fields.contains("assignee_id") {
            (changed.assigneeID, changed.assigneeUnitID) = try await assignee(input.assigneeId, field: "task.assignee_id", caller, context)
        }
        if fields.contains("lead_id") && changed.leadID != 0 { _ = try await visibleLead(changed.leadID, context) }
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { [changed] db in
            guard let stored = try TaskStore.task(db, id: changed.id) else { throw DomainError.notFound("no task with id \(changed.id)") }
            try WorkRules.requireVersion(request.version, current: stored.version, what: "task \(stored.id)")
            try WorkRules.requireOpen(stored.status, what: "task \(stored.id)")
            if fields.contains("type_id") && changed.typeID != 0 { _ = try WorkTypeStore.usable(db, id: changed.typeID, scope: .task, field: "task.type_id") }
            var next = changed
            next.version = stored.version + 1
            next.updatedAt = now
            try TaskStore.update(db, next)
            let wire = next.wire(now: now)
            try Self.append(db, .updated, EntityReference(.task, next.id), actor: caller.userID, at: now, .task(wire))
            return wire
        }
    }

    func completeTask(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.Task {
        try await closeTask(request, as: .completed, context)
    }

    func cancelTask(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.Task {
        try await closeTask(request, as: .cancelled, context)
    }

    private func closeTask(_ request: ActivitiesV1.CloseRequest, as status: WorkStatus, _ context: ServerContext) async throws -> ActivitiesV1.Task {
        let caller = try context.caller()
        try Self.requireID(request.id)
        try Self.checkOutcome(request.outcome)
        _ = try await visibleTask(request.id, caller, context)
        return try await close(request, as: status, caller, context, load: TaskStore.task, save: TaskStore.update) { task, now in
            let wire = task.wire(now: now)
            return (wire, .task(wire), EntityReference(.task, task.id))
        }
    }

    func deleteTask(request: ActivitiesV1.CloseRequest, context: ServerContext) async throws -> ActivitiesV1.DeleteResponse {
        let caller = try context.caller()
        try Self.requireID(request.id)
        _ = try await visibleTask(request.id, caller, context)
        return try await deleteWork(id: request.id, version: request.version, kind: .task, caller, context,
                                    stored: { db, id in try TaskStore.task(db, id: id)?.version }, remove: { db, id in try TaskStore.delete(db, id: id) })
    }

    static let taskSorts: [String: ListQuery.SortColumn] = [
        "due_at": .init("due_at"), "created_at": .init("created_at"), "updated_at": .init("updated_at"),
        "title": .init("title", text: true), "status": .init("status", text: true), "assignee_id": .init("assignee_id"),
        "lead_id": .init("lead_id"), "id": .init("id"),
    ]

    func listTasks(request: ActivitiesV1.ListTasksRequest, context: ServerContext) async throws -> ActivitiesV1.ListTasksResponse {
        let caller = try context.caller()
        let filter = request.filter ?? ActivitiesV1.TaskFilter()
        var v = Violations()
        let limit = PageSize.resolve(request.pageSize, into: &v)
        let order = ListQuery.order(Self.sortKeys(request.sort), allowed: Self.taskSorts, default: [(.init("due_at"), false)], into: &v)
        var query = ListQuery(table: "task", order: order)
        if filter.leadId < 0 { v.add("filter.lead_id", "must not be negative") }
        if filter.leadId > 0 { query.require("lead_id = ?", [filter.leadId]) }
        query.require("assignee_id", in: Self.ids(filter.assigneeIds, field: "filter.assignee_ids", into: &v))
        if filter.mine { query.require("assignee_id = ?", [caller.userID]) }
        query.require("status", in: Self.values(filter.statuses, field: "filter.statuses", WorkStatus.init, into: &v).map(\.rawValue))
        query.require("type_id", in: Self.ids(filter.typeIds, field: "filter.type_ids", into: &v))
        Self.range(filter.due, column: "due_at", field: "filter.due", to: &query, into: &v)
        let asOf = instant(filter.overdueAsOf, field: "filter.overdue_as_of", into: &v)
        if filter.overdueOnly { query.require("status = 'open' AND due_at != 0 AND due_at < ?", [asOf]) }
        if filter.incidentId < 0 { v.add("filter.incident_id", "must not be negative") }
        if filter.incidentId > 0 {
            let linked = LinkStore.taskIDs(linkedTo: filter.incidentId)
            query.require(linked.sql, linked.arguments)
        }
        let (fingerprint, cursor) = Self.pageStart(request, caller, into: &v)
        try v.check()
        try await restrict(&query, leadID: filter.leadId, caller, context)
        let now = clock.millis()
        let page = try await database.read { [query] db in
            try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, record: TaskStore.record)
        }
        return ActivitiesV1.ListTasksResponse(tasks: page.records.map { $0.wire(now: now) }, nextPageToken: page.next?.token ?? "", totalCount: page.total)
    }
}
