import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Crypto
import Foundation
import Testing
@testable import ActivitiesService

@Suite("incidents and their files, links, work types, tasks", .timeLimit(.minutes(1)))
struct IncidentLinkTypeTests {
    func incident(_ service: TestActivities, _ input: ActivitiesV1.IncidentInput, as caller: Caller = admin) async throws(RPCError) -> ActivitiesV1.Incident {
        try await service.call(M.createIncident, ActivitiesV1.CreateIncidentRequest(incident: input), as: caller)
    }

    @Test("an incident takes its defaults; attachments read back byte for byte with their SHA-256; bad files store nothing; closed is final")
    func incidentsAndAttachments() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        let created = try await incident(service, ActivitiesV1.IncidentInput(title: "Meter not read", typeId: 8, link: "https://example.com/ticket/1"))
        #expect(created.priority == .medium && created.status == .new && created.startAt > 0 && created.assigneeId == admin.userID)
        let badLink = await #expect(throws: RPCError.self) {
            _ = try await incident(service, ActivitiesV1.IncidentInput(title: "x", typeId: 8, link: "javascript:alert(1)"))
        }
        #expect(badLink?.violations.map(\.field) == ["incident.link"])
        let noType = await #expect(throws: RPCError.self) { _ = try await incident(service, ActivitiesV1.IncidentInput(title: "x")) }
        #expect(noType?.violations.map(\.field) == ["incident.type_id"])

        let content = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let attachment: ActivitiesV1.Attachment = try await service.call(M.addAttachment, ActivitiesV1.AddAttachmentRequest(
            incidentId: created.id, fileName: "photo of meter.png", contentType: "image/png", content: content), as: admin)
        #expect(attachment.sizeBytes == 70_000 && attachment.sha256 == SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined())
        let read: ActivitiesV1.AttachmentContent = try await service.call(M.getAttachmentContent, ActivitiesV1.GetAttachmentContentRequest(id: attachment.id), as: admin)
        #expect(read.content == content && read.attachment?.fileName == "photo of meter.png")
        for (name, type, size, field) in [("../etc/passwd", "text/plain", 10, "file_name"), ("a.txt", "not a type", 10, "content_type"),
                                          ("big.bin", "application/octet-stream", 3 * 1024 * 1024 + 1, "content"), ("empty.txt", "text/plain", 0, "content")] {
            let refused = await #expect(throws: RPCError.self) {
                let _: ActivitiesV1.Attachment = try await service.call(M.addAttachment, ActivitiesV1.AddAttachmentRequest(
                    incidentId: created.id, fileName: name, contentType: type, content: [UInt8](repeating: 1, count: size)), as: admin)
            }
            #expect(refused?.violations.map(\.field) == [field], "\(name)")
        }
        var shown: ActivitiesV1.Incident = try await service.call(M.getIncident, ActivitiesV1.GetRequest(id: created.id), as: admin)
        #expect(shown.attachments.map(\.id) == [attachment.id])

        shown = try await service.call(M.updateIncident, ActivitiesV1.UpdateIncidentRequest(
            id: created.id, version: shown.version, incident: ActivitiesV1.IncidentInput(priority: .high, status: .closed), updateMask: ["priority", "status"]), as: admin)
        #expect(shown.priority == .high && shown.status == .closed)
        let final = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Incident = try await service.call(M.updateIncident, ActivitiesV1.UpdateIncidentRequest(
                id: created.id, incident: ActivitiesV1.IncidentInput(status: .inProgress), updateMask: ["status"]), as: admin)
        }
        #expect(final?.code == .failedPrecondition)
        let _: ActivitiesV1.DeleteResponse = try await service.call(M.deleteIncident, ActivitiesV1.DeleteIncidentRequest(id: created.id), as: admin)
        let gone = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.AttachmentContent = try await service.call(M.getAttachmentContent, ActivitiesV1.GetAttachmentContentRequest(id: attachment.id), as: admin)
        }
        #expect(gone?.code == .notFound)

        let searched = try await incident(service, ActivitiesV1.IncidentInput(title: "Invoice 100% wrong", typeId: 6, description: "billing_error"))
        let found: ActivitiesV1.ListIncidentsResponse = try await service.call(M.listIncidents, ActivitiesV1.ListIncidentsRequest(filter: ActivitiesV1.IncidentFilter(text: "100% BILLING_")), as: admin)
        #expect(found.incidents.map(\.id) == [searched.id])
        let none: ActivitiesV1.ListIncidentsResponse = try await service.call(M.listIncidents, ActivitiesV1.ListIncidentsRequest(filter: ActivitiesV1.IncidentFilter(text: "10_%")), as: admin)
        #expect(none.incidents.isEmpty)  // % and _ are literal
    }

    @Test("links join two different things once, are listed from either end, and go with what they join")
    func links() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        let task: ActivitiesV1.Task = try await service.call(M.createTask, ActivitiesV1.CreateTaskRequest(task: ActivitiesV1.TaskInput(title: "Call the installer")), as: admin)
        let inc = try await incident(service, ActivitiesV1.IncidentInput(title: "No supply", typeId: 8, leadId: 7))
        let taskRef = RpcV1.EntityRef(kind: .task, id: task.id), incidentRef = RpcV1.EntityRef(kind: .incident, id: inc.id)
        let link: ActivitiesV1.Link = try await service.call(M.createLink, ActivitiesV1.CreateLinkRequest(a: taskRef, b: incidentRef), as: admin)
        let duplicate = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Link = try await service.call(M.createLink, ActivitiesV1.CreateLinkRequest(a: incidentRef, b: taskRef), as: admin)
        }
        #expect(duplicate?.code == .alreadyExists)
        let selfLink = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Link = try await service.call(M.createLink, ActivitiesV1.CreateLinkRequest(a: taskRef, b: taskRef), as: admin)
        }
        #expect(selfLink?.violations.map(\.field) == ["b"])
        let missing = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Link = try await service.call(M.createLink, ActivitiesV1.CreateLinkRequest(a: taskRef, b: RpcV1.EntityRef(kind: .lead, id: 99)), as: admin)
        }
        #expect(missing?.code == .notFound)
        let _: ActivitiesV1.Link = try await service.call(M.createLink, ActivitiesV1.CreateLinkRequest(a: RpcV1.EntityRef(kind: .lead, id: 7), b: taskRef), as: admin)
        let fromTask: ActivitiesV1.ListLinksResponse = try await service.call(M.listLinks, ActivitiesV1.ListLinksRequest(entity: taskRef), as: admin)
        let fromIncident: ActivitiesV1.ListLinksResponse = try await service.call(M.listLinks, ActivitiesV1.ListLinksRequest(entity: incidentRef), as: admin)
        #expect(fromTask.links.count == 2 && fromIncident.links.map(\.id) == [link.id])
        let linked: ActivitiesV1.ListTasksResponse = try await service.call(M.listTasks, ActivitiesV1.ListTasksRequest(filter: ActivitiesV1.TaskFilter(incidentId: inc.id)), as: admin)
        #expect(linked.tasks.map(\.id) == [task.id])
        let _: ActivitiesV1.DeleteResponse = try await service.call(M.deleteTask, ActivitiesV1.CloseRequest(id: task.id), as: admin)
        let after: ActivitiesV1.ListLinksResponse = try await service.call(M.listLinks, ActivitiesV1.ListLinksRequest(entity: incidentRef), as: admin)
        #expect(after.links.isEmpty)
    }

    @Test("work types: seeded, admin-only changes, unique names, retired types kept but refused for new work")
    func workTypes() async throws {
        let service = try TestActivities()
        defer { service.stop() }
        service.addLead(7, "Ana")
        let seeded: ActivitiesV1.ListWorkTypesResponse = try await service.call(M.listWorkTypes, ActivitiesV1.ListWorkTypesRequest(scope: .activity), as: agent)
        #expect(Set(seeded.workTypes.map(\.name)) == ["Demo", "Follow-up call", "Meeting", "Site visit"])
        let denied = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.WorkType = try await service.call(M.saveWorkType, ActivitiesV1.SaveWorkTypeRequest(workType: ActivitiesV1.WorkType(scope: .task, name: "Quote")), as: manager)
        }
        #expect(denied?.code == .permissionDenied)
        let noKind = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.WorkType = try await service.call(M.saveWorkType, ActivitiesV1.SaveWorkTypeRequest(workType: ActivitiesV1.WorkType(scope: .activity, name: "Webinar")), as: admin)
        }
        #expect(noKind?.violations.map(\.field) == ["work_type.activity_kind"])
        let webinar: ActivitiesV1.WorkType = try await service.call(M.saveWorkType, ActivitiesV1.SaveWorkTypeRequest(
            workType: ActivitiesV1.WorkType(scope: .activity, name: " Webinar ", activityKind: .meeting)), as: admin)
        #expect(webinar.name == "Webinar" && webinar.active && webinar.version == 1)
        let taken = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.WorkType = try await service.call(M.saveWorkType, ActivitiesV1.SaveWorkTypeRequest(
                workType: ActivitiesV1.WorkType(scope: .activity, name: "webinar", activityKind: .call)), as: admin)
        }
        #expect(taken?.code == .alreadyExists)
        let used = try await service.schedule(lead: 7, type: webinar.id, as: admin)
        #expect(used.kind == .meeting)
        var retired = webinar
        retired.active = false
        let saved: ActivitiesV1.WorkType = try await service.call(M.saveWorkType, ActivitiesV1.SaveWorkTypeRequest(workType: retired), as: admin)
        #expect(!saved.active && saved.version == 2)
        let refused = await #expect(throws: RPCError.self) { _ = try await service.schedule(lead: 7, type: webinar.id, as: admin) }
        #expect(refused?.violations.map(\.field) == ["activity.type_id"])
        let kept: ActivitiesV1.Activity = try await service.call(M.getActivity, ActivitiesV1.GetRequest(id: used.id), as: admin)
        #expect(kept.typeId == webinar.id)
    }

    @Test("tasks: the caller by default, overdue past the due date, complete and cancel only while open")
    func tasks() async throws {
        let service = try TestActivities(clock: .fixed(1_800_000_000_000))
        defer { service.stop() }
        let late: ActivitiesV1.Task = try await service.call(M.createTask, ActivitiesV1.CreateTaskRequest(task: ActivitiesV1.TaskInput(title: "Late", dueAt: 1_799_000_000_000)), as: agent)
        let _: ActivitiesV1.Task = try await service.call(M.createTask, ActivitiesV1.CreateTaskRequest(task: ActivitiesV1.TaskInput(title: "Someday")), as: agent)
        #expect(late.assigneeId == agent.userID && late.timeOverdueMs == 1_000_000_000)
        let overdue: ActivitiesV1.ListTasksResponse = try await service.call(M.listTasks, ActivitiesV1.ListTasksRequest(filter: ActivitiesV1.TaskFilter(overdueOnly: true, mine: true)), as: agent)
        #expect(overdue.tasks.map(\.title) == ["Late"])
        let done: ActivitiesV1.Task = try await service.call(M.completeTask, ActivitiesV1.CloseRequest(id: late.id, version: late.version), as: agent)
        #expect(done.status == .completed && done.timeOverdueMs == 0)
        let twice = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Task = try await service.call(M.cancelTask, ActivitiesV1.CloseRequest(id: late.id), as: agent)
        }
        #expect(twice?.code == .failedPrecondition)
        let hidden = await #expect(throws: RPCError.self) {
            let _: ActivitiesV1.Task = try await service.call(M.getTask, ActivitiesV1.GetRequest(id: late.id), as: otherAgent)
        }
        #expect(hidden?.code == .notFound)
    }
}
