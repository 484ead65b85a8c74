import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import CommsDomain
import Foundation
import GRDB
import Testing
@testable import CommsService

typealias M = CommsV1.Comms.Method

@Suite("crm-comms: templates checked when saved, sending, delivery into the Maildir", .timeLimit(.minutes(1)))
struct CommsServiceTests {
    /// A lead with every field a tag reads set.
    static let fullLead = LeadsV1.Lead(
        id: 7, fullName: "Ana O'Neil", company: "Acme <Iberia> & \"Co\"", emails: ["ana@acme.example"], phones: ["+34600111222"], location: "Calle Mayor 1",
        country: "ES", region: "Madrid", province: "Madrid", postalCode: "28001", campaign: "Verano", channel: "Web", source: "Feria", typeId: 2,
        statusId: 3, state: .inProgress, priority: 8, importance: 7, probability: 60, targetAmount: RpcV1.Money(amountMinor: 123_450, currency: "EUR"),
        ownerId: 2, assignedUserId: 3, contactOn: 1_800_000_000_000, expectedCompletionAt: 1_801_000_000_000,
        customFields: [LeadsV1.CustomFieldValue(key: "cups", value: .text("ES0021000000000000AA"))], createdAt: 1_790_000_000_000)

    func service() throws -> TestComms {
        let service = try TestComms()
        service.add(Self.fullLead)
        service.add(LeadsV1.User(id: 1, login: "admin", name: "Administrator", email: "admin@crm.example", role: .admin, active: true))
        service.add(LeadsV1.User(id: 2, login: "juan", name: "Juan García", email: "juan@crm.example", role: .salesManager, active: true))
        service.add(LeadsV1.User(id: 3, login: "marta", name: "Marta Ruíz", email: "marta@crm.example", role: .agent, active: true))
        return service
    }

    func template(_ service: TestComms, subject: String, body: String, kind: CommsV1.BodyKind = .plain, name: String = "Offer") async throws(RPCError) -> CommsV1.Template {
        try await service.caller.call(M.createTemplate, CommsV1.CreateTemplateRequest(draft: CommsV1.TemplateInput(name: name, subject: subject, body: body, active: true, bodyKind: kind)), as: admin)
    }

    @Test("an unknown or malformed tag refuses the template with one violation per tag, and stores nothing; only managers manage templates")
    func validatedWhenSaved() async throws {
        let service = try service()
        defer { service.stop() }
        let refused = await #expect(throws: RPCError.self) { _ = try await template(service, subject: "For #lead.compnay", body: "Hi #lead.nmae, #Lead.x") }
        #expect(refused?.code == .invalidArgument && refused?.violations.map(\.field) == ["draft.subject", "draft.body", "draft.body"], "\(String(describing: refused))")
        #expect(refused?.violations.first?.description.contains("#lead.compnay at offset 4") == true)
        let listed: CommsV1.ListTemplatesResponse = try await service.caller.call(M.listTemplates, CommsV1.ListTemplatesRequest(), as: admin)
        #expect(listed.templates.map(\.name) == ["Activity reminder"])  // the seeded one only
        let denied = await #expect(throws: RPCError.self) {
            let _: CommsV1.Template = try await service.caller.call(M.createTemplate, CommsV1.CreateTemplateRequest(draft: CommsV1.TemplateInput(name: "x", subject: "s", body: "b")), as: agent)
        }
        #expect(denied?.code == .permissionDenied)
        let validation: CommsV1.ValidateTemplateResponse = try await service.caller.call(M.validateTemplate, CommsV1.ValidateTemplateRequest(subject: "Order #123", body: "C# ##tag #today"), as: agent)
        #expect(validation.problems.isEmpty && validation.tags == ["#today"])
    }

    @Test("every tag of the catalogue, rendered for a lead with every field set, reaches the Maildir with no #tag left")
    func everyTag() async throws {
        let service = try service()
        defer { service.stop() }
        let tags: CommsV1.ListTagsResponse = try await service.caller.call(M.listTags, CommsV1.ListTagsRequest(), as: admin)
        #expect(tags.tags.contains { $0.name == "#lead.custom.cups" } && tags.tags.count == TagCatalogue.fixed.count + 1)
        // The #activity tags are filled in reminders only.
        let body = tags.tags.filter { !$0.name.hasPrefix("#activity.") }.map { "\($0.name)=[\($0.name)]" }.joined(separator: "\n")
        let t = try await template(service, subject: "All tags for #lead.full_name", body: body)
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7]), as: admin)
        #expect(sent.failures.isEmpty && sent.messages.count == 1, "\(sent.failures)")
        #expect(try await service.server.deliverDue() == 1)
        let file = try #require(service.delivered.first)
        let text = try #require(TestComms.bodies(file).first)
        for expected in ["Ana O'Neil", "Ana", "Acme <Iberia> & \"Co\"", "ana@acme.example", "+34600111222", "28001", "Verano", "Energy supply", "Qualifying",
                         "in progress", "High", "Key account", "60%", "1,234.50 EUR", "Juan García", "marta@crm.example", "Administrator", "ES0021000000000000AA"] {
            #expect(text.contains(expected), "\(expected) is missing from:\n\(text)")
        }
        #expect(!text.contains("=[]"), "a tag had no value:\n\(text)")
        #expect(!text.contains("[#"), "a tag was left in:\n\(text)")
        let message: CommsV1.Message = try await service.caller.call(M.getMessage, CommsV1.GetMessageRequest(id: sent.messages[0].id), as: admin)
        #expect(message.status == .sent && message.attempts == 1 && message.sentAt > 0 && file.contains("Message-ID: <\(message.messageId)>"))
    }

    @Test("hostile values: escaped in HTML, kept out of headers, carried exactly in plain text; 100,000-character bodies")
    func hostileValues() async throws {
        let service = try service()
        defer { service.stop() }
        var lead = Self.fullLead
        lead.id = 8
        lead.fullName = "<script>alert(1)</script>\r\nBcc: all@example.com"
        service.add(lead)
        let html = try await template(service, subject: "Hi #lead.full_name", body: "<p>Dear #lead.full_name</p>", kind: .html, name: "HTML")
        let plain = try await template(service, subject: "Plain", body: String(repeating: "x", count: 99_000) + " #lead.full_name", name: "Long")
        let _: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: html.id, leadIds: [8]), as: admin)
        let _: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: plain.id, leadIds: [8]), as: admin)
        #expect(try await service.server.deliverDue() == 2)
        let files = service.delivered
        #expect(files.count == 2)
        for file in files {
            let headers = file.components(separatedBy: "\r\n\r\n")[0]
            // The value may say "Bcc:", inside the Subject line; no line of the header is one.
            #expect(!headers.replacingOccurrences(of: "\r\n", with: "").contains("\n") && headers.components(separatedBy: "\r\n").allSatisfy { !$0.hasPrefix("Bcc") })
        }
        let htmlParts = files.flatMap(TestComms.bodies).filter { $0.contains("<p>") }
        #expect(htmlParts.first?.contains("&lt;script&gt;alert(1)&lt;/script&gt;") == true && htmlParts.first?.contains("<script>") == false)
        let long = files.flatMap(TestComms.bodies).first { $0.count > 99_000 }
        #expect(long?.hasSuffix(" " + lead.fullName) == true)
    }

    @Test("per-lead failures are listed and the others sent: hidden, no e-mail, an empty tag unless allowed; dry runs store nothing")
    func perLeadFailures() async throws {
        let service = try service()
        defer { service.stop() }
        var noEmail = Self.fullLead
        noEmail.id = 9
        noEmail.emails = []
        var noCompany = Self.fullLead
        noCompany.id = 10
        noCompany.company = ""
        service.add(noEmail)
        service.add(noCompany)
        var hidden = Self.fullLead
        hidden.id = 11
        service.add(hidden, visibleTo: [99])
        let t = try await template(service, subject: "For #lead.company", body: "Hello")
        let dry: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7, 9, 10], dryRun: true), as: admin)
        #expect(dry.messages.map(\.id) == [0] && dry.failures.map(\.id) == [9, 10])
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7, 9, 10, 11, 404]), as: agent)
        #expect(sent.messages.map(\.leadId) == [7], "\(sent)")
        #expect(sent.failures.map(\.id) == [9, 10, 11, 404])
        #expect(sent.failures.first { $0.id == 10 }?.status?.message.contains("#lead.company") == true)
        #expect(sent.failures.first { $0.id == 11 }?.status?.code == .notFound)
        let allowed: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [10], allowEmptyValues: true), as: admin)
        #expect(allowed.messages.count == 1 && allowed.messages[0].subject == "For ")
        let history: CommsV1.ListMessagesResponse = try await service.caller.call(M.listMessages, CommsV1.ListMessagesRequest(leadId: 7), as: admin)
        #expect(history.messages.count == 1 && history.totalCount == 1)
        // What `crm send` counts while it shows a mass message's progress: these messages, by status.
        let ids = sent.messages.map(\.id) + allowed.messages.map(\.id)
        let queued: CommsV1.ListMessagesResponse = try await service.caller.call(
            M.listMessages, CommsV1.ListMessagesRequest(statuses: [.queued], pageSize: 1, ids: ids), as: admin)
        #expect(queued.totalCount == 2 && queued.messages.count == 1)
        #expect(try await service.server.deliverDue() == 2)
        let delivered: CommsV1.ListMessagesResponse = try await service.caller.call(
            M.listMessages, CommsV1.ListMessagesRequest(statuses: [.sent], pageSize: 1, ids: ids), as: admin)
        #expect(delivered.totalCount == 2)
        let tooMany = await #expect(throws: RPCError.self) {
            let _: CommsV1.ListMessagesResponse = try await service.caller.call(
                M.listMessages, CommsV1.ListMessagesRequest(ids: Array(1...10_001)), as: admin)
        }
        #expect(tooMany?.code == .invalidArgument && tooMany?.message.contains("ids") == true)
    }

    @Test("a message left being sent when the service stopped is delivered again with the same Message-ID and file, never twice")
    func restartNeitherLosesNorDoubles() async throws {
        let service = try service()
        defer { service.stop() }
        let t = try await template(service, subject: "Hi", body: "Hello #lead.first_name")
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7]), as: admin)
        #expect(try await service.server.deliverDue() == 1)
        // As if the process died after writing the file and before recording it: SENDING again.
        try await service.server.database.write { db in try db.execute(sql: "UPDATE message SET status = 'sending' WHERE id = ?", arguments: [sent.messages[0].id]) }
        #expect(try await service.server.deliverDue() == 1)
        let files = service.delivered
        #expect(files.count == 1 && files[0].contains("Message-ID: <\(sent.messages[0].messageId)>"))
        #expect(try await service.server.deliverDue() == 0)
    }

    @Test("a mass message by filter needs a manager; it reaches every lead the filter finds")
    func byFilter() async throws {
        let service = try service()
        defer { service.stop() }
        var portuguese = Self.fullLead
        portuguese.id = 12
        portuguese.country = "PT"
        service.add(portuguese)
        let t = try await template(service, subject: "Hi #lead.first_name", body: "Hello")
        let manager = Caller(userID: 2, role: .salesManager, unitID: 0)
        let filter = LeadsV1.LeadFilter(countries: ["ES"])
        let denied = await #expect(throws: RPCError.self) {
            let _: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, filter: filter), as: agent)
        }
        #expect(denied?.code == .permissionDenied)
        let both = await #expect(throws: RPCError.self) {
            let _: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7], filter: filter), as: manager)
        }
        #expect(both?.violations.map(\.field) == ["filter"])
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, filter: filter), as: manager)
        #expect(sent.messages.map(\.leadId) == [7] && sent.failures.isEmpty)
    }

    @Test("reminders follow the activities feed: one before each open activity, moved with it, dropped when it is called off, never twice")
    func reminders() async throws {
        let service = try service()
        defer { service.stop() }
        let now = WallClock.system.millis()
        func event(_ sequence: Int64, _ type: ActivitiesV1.ActivityEventType, start: Int64, status: ActivitiesV1.WorkStatus = .open) -> ActivitiesV1.ActivityEvent {
            ActivitiesV1.ActivityEvent(sequence: sequence, type: type, entity: RpcV1.EntityRef(kind: .activity, id: 40), at: now, actorId: 1, snapshot: .activity(
                ActivitiesV1.Activity(id: 40, leadId: 7, subject: "Demo for Acme", startAt: start, endAt: start + 1_800_000, location: "Madrid office", assigneeId: 3, status: status)))
        }
        // Starts in 30 minutes: within the hour's lead time, so due now.
        try await service.server.applyActivityEvent(event(1, .created, start: now + 1_800_000))
        try await service.server.applyActivityEvent(event(1, .created, start: now + 1_800_000))  // the same event again: no second reminder
        _ = try await service.server.deliverDue()
        var files = service.delivered
        #expect(files.count == 1 && files.first?.contains("To: <marta@crm.example>") == true, "\(files)")
        let text = TestComms.bodies(files[0]).first ?? ""
        #expect(text.contains("Hello Marta Ruíz") && text.contains("Demo for Acme starts at") && text.contains("Madrid office") && text.contains("Ana O'Neil"), "\(text)")
        // Moved to tomorrow: a reminder again, then, not now.
        try await service.server.applyActivityEvent(event(2, .updated, start: now + 86_400_000))
        _ = try await service.server.deliverDue()
        #expect(service.delivered.count == 1)
        // Moved back within the hour: reminded again, for the new time.
        try await service.server.applyActivityEvent(event(3, .updated, start: now + 900_000))
        _ = try await service.server.deliverDue()
        files = service.delivered
        #expect(files.count == 2)
        // Cancelled: dropped; the cursor stands at the last event applied.
        try await service.server.applyActivityEvent(event(4, .updated, start: now + 900_000, status: .cancelled))
        let (remaining, cursor) = try await service.server.database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reminder") ?? -1, try ReminderStore.cursor(db, source: "activities"))
        }
        #expect(remaining == 0 && cursor == 4)
    }

    @Test("a mass message's answer fits a frame: the first messages carry their body while they fit (100 at most), and the count says how many went")
    func largeAnswer() async throws {
        let service = try service()
        defer { service.stop() }
        for id in 1_000..<1_150 as Range<Int64> {
            var lead = Self.fullLead
            lead.id = id
            service.add(lead)
        }
        let t = try await template(service, subject: "Hi #lead.first_name", body: String(repeating: "long text ", count: 5_000))
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: Array(1_000..<1_150)), as: admin)
        #expect(sent.count == 150 && sent.messages.count == 150)
        #expect(try sent.encodedSize() < AnswerBudget.answerBytes)
        // 50 KB bodies: a quarter of a frame holds 20 of them; the rest come without.
        let carried = sent.messages.prefix { !$0.body.isEmpty }.count
        #expect((15...25).contains(carried) && sent.messages.dropFirst(carried).allSatisfy { $0.body.isEmpty && !$0.subject.isEmpty })
        let dry: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: Array(1_000..<1_150), dryRun: true), as: admin)
        #expect(dry.count == 150 && dry.messages.count == 100 && dry.messages.prefix { !$0.body.isEmpty }.count == carried)
        let stored: CommsV1.Message = try await service.caller.call(M.getMessage, CommsV1.GetMessageRequest(id: sent.messages[120].id), as: admin)
        #expect(!stored.body.isEmpty)
    }

    @Test("a delivered message goes into its lead's history in crm-leads, once, even when crm-leads was down at first")
    func recordedInLeadHistory() async throws {
        let service = try service()
        defer { service.stop() }
        let t = try await template(service, subject: "Hi #lead.first_name", body: "Hello")
        service.table.leadsDown.withLock { $0 = true }
        let sent: CommsV1.SendResponse = try await service.caller.call(M.send, CommsV1.SendRequest(templateId: t.id, leadIds: [7]), as: admin)
        #expect(try await service.server.deliverDue() == 1)
        #expect(service.table.recorded.withLock { $0.isEmpty })
        service.table.leadsDown.withLock { $0 = false }
        _ = try await service.server.deliverDue()
        _ = try await service.server.deliverDue()
        let recorded = service.table.recorded.withLock { $0 }
        #expect(recorded.map(\.messageId) == [sent.messages[0].id] && recorded.first?.subject == "Hi Ana" && recorded.first?.leadId == 7)
    }
}
