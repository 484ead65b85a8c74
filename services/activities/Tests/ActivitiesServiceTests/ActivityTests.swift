import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import Testing
@testable import ActivitiesService

typealias M = ActivitiesV1.Activities.Method

@Suite("activities: scheduling, the open-work rule, visibility, versions, idempotency, paging", .timeLimit(.minutes(1)))
struct ActivityTests {
    @Test("a scheduled activity carries its lead's details, blocks the lead until completed, cancelled or deleted")
    func openWorkRule() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana Pérez", email: "ana@acme.com")
        let demo = try await service.schedule(lead: 7, subject: "Demo for Acme", as: admin)
        #expect(demo.kind == .appointment && demo.status == .open && demo.version == 1)
        #expect(demo.leadFullName == "Ana Pérez" && demo.leadEmail == "ana@acme.com" && demo.leadCompany == "Acme" && demo.leadPhone == "+34600111222")
        #expect(demo.endAt == demo.startAt + 30 * 60 * 1000)

        var open = try await service.openWork(7, as: admin)
        #expect(open.openActivityIds == [demo.id] && open.descriptions.first?.hasPrefix("activity \(demo.id) (Demo for Acme") == true)
        let completed: ActivitiesV1.Activity = try await service.call(M.completeActivity, ActivitiesV1.CloseRequest(id: demo.id, version: 1, outcome: "Loved it"), as: admin)
        #expect(completed.status == .completed && completed.outcome == "Loved it" && completed.closedAt > 0 && completed.version == 2)
        open = try await service.openWork(7, as: admin)
        #expect(open.openActivityIds.isEmpty && open.openTaskIds.isEmpty)

        // Closed work stays closed.
        let again = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.cancelActivity, ActivitiesV1.CloseRequest(id: demo.id), as: admin)
        }
        #expect(again?.code == .failedPrecondition)

        let call = try await service.schedule(lead: 7, subject: "Call back", type: 2, as: admin)
        let task: ActivitiesV1.Task = try await service.call(M.createTask, ActivitiesV1.CreateTaskRequest(task: ActivitiesV1.TaskInput(title: "Send offer", leadId: 7)), as: admin)
        open = try await service.openWork(7, as: admin)
        #expect(open.openActivityIds == [call.id] && open.openTaskIds == [task.id])
        let _: ActivitiesV1.Activity = try await service.call(M.cancelActivity, ActivitiesV1.CloseRequest(id: call.id, outcome: "no answer"), as: admin)
        let _: ActivitiesV1.DeleteResponse = try await service.call(M.deleteTask, ActivitiesV1.CloseRequest(id: task.id), as: admin)
        open = try await service.openWork(7, as: admin)
        #expect(open.openActivityIds.isEmpty && open.openTaskIds.isEmpty)
        #expect(try await service.events().count == 6)  // 2 created activities, a task, 2 updates, a delete
    }

    @Test("bad input names each field and stores nothing")
    func badInput() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        func refused(_ input: ActivitiesV1.ActivityInput) async -> RPCError? {
            await #expect(throws: RPCError.self) {
                let _: ActivitiesV1.Activity = try await service.call(M.scheduleActivity, ActivitiesV1.ScheduleActivityRequest(activity: input), as: admin)
            }
        }
        var error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "", startAt: 0))
        #expect(error?.code == .invalidArgument && Set(error?.violations.map(\.field) ?? []) == ["activity.subject", "activity.start_at"])
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "x", startAt: 2_000, endAt: 1_000))
        #expect(error?.violations.map(\.field) == ["activity.end_at"])
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "a" + String(repeating: "\u{301}", count: 5_000), startAt: 2_000))
        #expect(error?.violations.map(\.field) == ["activity.subject"])  // one character, 5,001 scalars
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "Bad\r\nBcc: x", startAt: 2_000))
        #expect(error?.violations.map(\.field) == ["activity.subject"])
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 6, subject: "x", startAt: 2_000))
        #expect(error?.violations.map(\.field) == ["activity.type_id"])  // an incident type
        error = await refused(ActivitiesV1.ActivityInput(leadId: 99, typeId: 1, subject: "x", startAt: 2_000))
        #expect(error?.code == .notFound)
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "x", startAt: 2_000, assigneeId: 42))
        #expect(error?.violations.map(\.field) == ["activity.assignee_id"])
        service.directory.withLock { $0.down = true }
        error = await refused(ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "x", startAt: 2_000))
        #expect(error?.code == .unavailable)  // fails closed
        #expect(try await service.events().isEmpty)

        let badList = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(
                filter: ActivitiesV1.ActivityFilter(statuses: [.unrecognized(9)]), sort: [RpcV1.SortKey(field: "secret")], pageSize: 900, pageToken: "p1.5"), as: admin)
        }
        #expect(Set(badList?.violations.map(\.field) ?? []) == ["page_size", "sort[0].field", "filter.statuses[0]", "page_token"])
    }

    @Test("who sees what: own work, the unit's for its manager, a visible lead's for anyone; the rest is NOT_FOUND")
    func visibility() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addUser(4, unit: 10)
        service.addUser(5, unit: 20)
        service.addLead(7, "Ana", visibleTo: [4])
        service.addLead(8, "Bea", visibleTo: [5])
        let mine = try await service.schedule(lead: 7, as: agent)
        let theirs = try await service.schedule(lead: 8, as: otherAgent)
        let assignedToAgent = try await service.schedule(lead: 8, assignee: 4, as: manager)

        let hidden = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.getActivity, ActivitiesV1.GetRequest(id: theirs.id), as: agent)
        }
        #expect(hidden?.code == .notFound)
        let _: ActivitiesV1.Activity = try await service.call(M.getActivity, ActivitiesV1.GetRequest(id: assignedToAgent.id), as: agent)
        let _: ActivitiesV1.Activity = try await service.call(M.getActivity, ActivitiesV1.GetRequest(id: mine.id), as: unitManager)
        let notTheirUnit = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.getActivity, ActivitiesV1.GetRequest(id: theirs.id), as: unitManager)
        }
        #expect(notTheirUnit?.code == .notFound)
        let all: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(), as: agent)
        #expect(Set(all.activities.map(\.id)) == [mine.id, assignedToAgent.id] && all.totalCount == 2)
        let everything: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(), as: manager)
        #expect(everything.totalCount == 3)
        // An agent may not hand work to someone outside what they may assign.
        let handOff = await #expect(throws: RPCError.self) { _ = try await service.schedule(lead: 7, assignee: 5, as: agent) }
        #expect(handOff?.code == .permissionDenied)
        // A deactivated user's token stops working.
        _ = service.directory.withLock { $0.deactivated.insert(4) }
        let gone = await #expect(throws: RPCError.self) { _ = try await service.openWork(7, as: agent) }
        #expect(gone?.code == .unauthenticated)
    }

    @Test("versions: a stale change is ABORTED; an update moves the end with the start and keeps its lead")
    func versions() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        let demo = try await service.schedule(lead: 7, start: 1_800_000_000_000, as: admin)
        let moved: ActivitiesV1.Activity = try await service.call(M.updateActivity, ActivitiesV1.UpdateActivityRequest(
            id: demo.id, version: 1, activity: ActivitiesV1.ActivityInput(startAt: 1_800_003_600_000, location: "Madrid"), updateMask: ["start_at", "location"]), as: admin)
        #expect(moved.startAt == 1_800_003_600_000 && moved.endAt == moved.startAt + 1_800_000 && moved.location == "Madrid" && moved.version == 2)
        let stale = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.updateActivity, ActivitiesV1.UpdateActivityRequest(
                id: demo.id, version: 1, activity: ActivitiesV1.ActivityInput(subject: "x"), updateMask: ["subject"]), as: admin)
        }
        #expect(stale?.code == .aborted)
        let leadChange = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.updateActivity, ActivitiesV1.UpdateActivityRequest(
                id: demo.id, version: 2, activity: ActivitiesV1.ActivityInput(leadId: 8), updateMask: ["lead_id"]), as: admin)
        }
        #expect(leadChange?.violations.first?.field == "update_mask")
    }

    @Test("an idempotency key replays the first answer for the same request and refuses another request")
    func idempotency() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        let request = ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(leadId: 7, typeId: 1, subject: "Demo", startAt: 1_800_000_000_000))
        let first: ActivitiesV1.Activity = try await service.call(M.scheduleActivity, request, as: admin, key: "k-1")
        let retry: ActivitiesV1.Activity = try await service.call(M.scheduleActivity, request, as: admin, key: "k-1")
        #expect(first == retry)
        var other = request
        other.activity?.subject = "Another demo"
        let reused = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Activity = try await service.call(M.scheduleActivity, other, as: admin, key: "k-1")
        }
        #expect(reused?.code == .failedPrecondition && reused?.message.contains("k-1") == true)
        let list: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(), as: admin)
        #expect(list.totalCount == 1)
    }

    @Test("paging by cursor neither repeats nor skips rows when rows are added between pages; a token is bound to its query")
    func paging() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        for hour in [1, 3, 5, 7, 9] as [Int64] { _ = try await service.schedule(lead: 7, subject: "at \(hour)", start: 1_800_000_000_000 + hour * 3_600_000, as: admin) }
        let request = ActivitiesV1.ListActivitiesRequest(pageSize: 2)
        let first: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, request, as: admin)
        #expect(first.activities.map(\.subject) == ["at 1", "at 3"] && first.totalCount == 5 && !first.nextPageToken.isEmpty)
        // One sorts before the cursor (an offset would repeat "at 3"), one after it.
        _ = try await service.schedule(lead: 7, subject: "at 0", start: 1_800_000_000_000, as: admin)
        _ = try await service.schedule(lead: 7, subject: "at 4", start: 1_800_000_000_000 + 4 * 3_600_000, as: admin)
        var seen = first.activities.map(\.subject)
        var token = first.nextPageToken
        while !token.isEmpty {
            var next = request
            next.pageToken = token
            let page: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, next, as: admin)
            seen += page.activities.map(\.subject)
            token = page.nextPageToken
        }
        #expect(seen == ["at 1", "at 3", "at 4", "at 5", "at 7", "at 9"])
        let foreign = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(
                filter: ActivitiesV1.ActivityFilter(leadId: 7), pageSize: 2, pageToken: first.nextPageToken), as: admin)
        }
        #expect(foreign?.violations.first?.field == "page_token")
        // Descending by subject, three keys deep, pages the same rows.
        let sorted = ActivitiesV1.ListActivitiesRequest(sort: [RpcV1.SortKey(field: "subject", descending: true)], pageSize: 4)
        let page1: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, sorted, as: admin)
        var page2Request = sorted
        page2Request.pageToken = page1.nextPageToken
        let page2: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, page2Request, as: admin)
        #expect((page1.activities + page2.activities).map(\.subject) == ["at 9", "at 7", "at 5", "at 4", "at 3", "at 1", "at 0"])
    }

    @Test("overdue is derived: open past its end as of an instant")
    func overdue() async throws {
        let service = try TestActivities(clock: .fixed(1_800_010_000_000))
        defer { service.stop() }
        service.addLead(7, "Ana")
        let late = try await service.schedule(lead: 7, subject: "late", start: 1_800_000_000_000, as: admin)
        _ = try await service.schedule(lead: 7, subject: "later", start: 1_800_020_000_000, as: admin)
        #expect(late.timeOverdueMs == 1_800_010_000_000 - late.endAt)
        let now: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(filter: ActivitiesV1.ActivityFilter(overdueOnly: true)), as: admin)
        #expect(now.activities.map(\.subject) == ["late"])
        let monday: ActivitiesV1.ListActivitiesResponse = try await service.call(M.listActivities, ActivitiesV1.ListActivitiesRequest(
            filter: ActivitiesV1.ActivityFilter(overdueOnly: true, overdueAsOf: 1_800_100_000_000)), as: admin)
        #expect(monday.activities.map(\.subject) == ["late", "later"])
    }
}
