import CRMAPI
import CRMRPC
import CRMService
import CRMWire
import Testing
@testable import LeadsDomain
@testable import LeadsService

/// What a hostile or careless client sends: text that is short in characters and long in bytes,
/// leads as big as the limits allow, and pages followed while rows change (issues 14 and 18).
@Suite("Leads under hostile input", .timeLimit(.minutes(3)))
struct HostileInputTests {
    /// One "character": a letter carrying `marks` combining acute accents (2 bytes each).
    static func marked(_ marks: Int) -> String { "a" + String(repeating: "\u{301}", count: marks) }

    @Test("a letter with thousands of combining marks, a huge LIKE pattern and long searches are INVALID_ARGUMENT naming the field; nothing is stored")
    func textBoundedInBytes() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        func refusal(_ body: () async throws -> Void) async -> RPCError? {
            await #expect(throws: RPCError.self) { try await body() }
        }
        let name = await refusal {
            _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: Self.marked(5_000), company: Self.marked(300_000))), options: admin)
        }
        #expect(name?.code == .invalidArgument)
        #expect(Set(name?.violations.map(\.field) ?? []) == ["lead.full_name", "lead.company"])
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 0)

        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana " + Self.marked(3))), options: admin)
        let update = await refusal {
            _ = try await leads.updateLead(LeadsV1.UpdateLeadRequest(
                id: lead.id, version: lead.version, lead: LeadsV1.LeadInput(company: Self.marked(1_100_000)), updateMask: ["company"]), options: admin)
        }
        #expect(update?.code == .invalidArgument && update?.violations.map(\.field) == ["lead.company"])
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).version == lead.version)

        let text = await refusal {
            _ = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(text: Self.marked(5_000))), options: admin)
        }
        #expect(text?.code == .invalidArgument && text?.violations.map(\.field) == ["filter.text"])
        let pattern = await refusal {
            _ = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(postalCodes: [String(repeating: "%_", count: 30_000) + "*"])), options: admin)
        }
        #expect(pattern?.code == .invalidArgument && pattern?.violations.map(\.field) == ["filter.postal_codes[0]"])
        let users = await refusal {
            _ = try await service.directory.listUsers(LeadsV1.ListUsersRequest(text: Self.marked(5_000)), options: admin)
        }
        #expect(users?.code == .invalidArgument && users?.violations.map(\.field) == ["text"])
        let note = await refusal {
            _ = try await leads.addNote(LeadsV1.AddNoteRequest(leadId: lead.id, text: Self.marked(20_000)), options: admin)
        }
        #expect(note?.code == .invalidArgument && note?.violations.map(\.field) == ["text"])
        let login = await refusal { _ = try await service.auth.login(LeadsV1.LoginRequest(login: Self.marked(50_000), password: "whatever-it-is")) }
        #expect(login?.code == .invalidArgument && login?.violations.map(\.field) == ["login"])
        await service.stop()
    }

    @Test("leads as big as the limits allow: every answer fits a frame, lists and the feed stop a page by bytes and the tokens reach every lead")
    func pagesBoundedInBytes() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        // 50 products with 2,000 four-byte characters of notes each: 400 KB a lead, so twelve
        // leads are more than one 4 MiB frame.
        let products = (0..<50).map { LeadsV1.ProductInterest(product: "p\($0)", quantity: 1, notes: String(repeating: "𝒜", count: 2_000)) }
        var created: [Int64] = []
        for i in 0..<12 {
            created.append(try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Big \(i)", products: products)), options: admin).id)
        }
        var seen: [Int64] = []
        var token = ""
        var pages = 0
        repeat {
            let page = try await leads.listLeads(LeadsV1.ListLeadsRequest(pageSize: 500, pageToken: token), options: admin)
            #expect(page.totalCount == 12)
            #expect(page.leads.count < 12)  // a page stops at half a frame
            seen += page.leads.map(\.id)
            token = page.nextPageToken
            pages += 1
        } while !token.isEmpty && pages < 20
        #expect(seen == created.reversed())

        var sequence: Int64 = 0
        var events = 0
        var batches = 0
        while batches < 20 {
            let batch = try await leads.listEvents(LeadsV1.ListEventsRequest(after: sequence, limit: 1_000), options: admin)
            guard let last = batch.events.last else { break }
            #expect(batch.events.count < 12)
            events += batch.events.filter { $0.type == .created }.count
            sequence = last.sequence
            batches += 1
        }
        #expect(events == 12 && batches > 1)
        await service.stop()
    }

    @Test("following next_page_token alone never repeats or skips a lead while leads are added and re-sorted; a token with another query is INVALID_ARGUMENT")
    func cursorPages() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        for name in ["Bea", "Dani", "Fede", "Hugo", "Juan", "Luis"] {
            _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name)), options: admin)
        }
        let byName = [RpcV1.SortKey(field: "full_name")]
        let first = try await leads.listLeads(LeadsV1.ListLeadsRequest(sort: byName, pageSize: 3), options: admin)
        #expect(first.leads.map(\.fullName) == ["Bea", "Dani", "Fede"])
        // Before the page boundary: an offset would list Fede again.
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana")), options: admin)
        // After it: listed, once.
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Gil")), options: admin)
        var names = first.leads.map(\.fullName)
        var token = first.nextPageToken
        while !token.isEmpty {
            let page = try await leads.listLeads(LeadsV1.ListLeadsRequest(sort: byName, pageSize: 3, pageToken: token), options: admin)
            names += page.leads.map(\.fullName)
            token = page.nextPageToken
        }
        #expect(names == ["Bea", "Dani", "Fede", "Gil", "Hugo", "Juan", "Luis"])

        let other = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(text: "a"), sort: byName, pageSize: 3, pageToken: first.nextPageToken), options: admin)
        }
        #expect(other?.code == .invalidArgument && other?.violations.map(\.field) == ["page_token"])
        let resorted = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(pageSize: 3, pageToken: first.nextPageToken), options: admin)
        }
        #expect(resorted?.code == .invalidArgument)
        let offset = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(sort: byName, pageSize: 3, pageToken: "p1.3"), options: admin)
        }
        #expect(offset?.code == .invalidArgument)

        // A lead's notes, newest first, page the same way while notes are added.
        let lead = try await leads.listLeads(LeadsV1.ListLeadsRequest(pageSize: 1), options: admin).leads[0]
        for i in 1...5 { _ = try await leads.addNote(LeadsV1.AddNoteRequest(leadId: lead.id, text: "note \(i)"), options: admin) }
        let notes = try await leads.listNotes(LeadsV1.ListNotesRequest(leadId: lead.id, pageSize: 2), options: admin)
        _ = try await leads.addNote(LeadsV1.AddNoteRequest(leadId: lead.id, text: "note 6"), options: admin)
        var texts = notes.notes.map(\.text)
        token = notes.nextPageToken
        while !token.isEmpty {
            let page = try await leads.listNotes(LeadsV1.ListNotesRequest(leadId: lead.id, pageSize: 2, pageToken: token), options: admin)
            texts += page.notes.map(\.text)
            token = page.nextPageToken
        }
        #expect(texts == ["note 5", "note 4", "note 3", "note 2", "note 1"])
        await service.stop()
    }

    @Test("five wrong passwords hold the login up: the next attempt, even the right one, is RESOURCE_EXHAUSTED saying when; after the delay it signs in")
    func signInThrottled() async throws {
        let service = try await TestLeadsService.start()
        for _ in 0..<5 {
            let wrong = await #expect(throws: RPCError.self) { try await service.auth.login(LeadsV1.LoginRequest(login: "admin", password: "not-the-password")) }
            #expect(wrong?.code == .unauthenticated)
        }
        let held = await #expect(throws: RPCError.self) { try await service.signedIn() }
        #expect(held?.code == .resourceExhausted && held?.message.contains("try again in") == true)
        try await Task.sleep(for: .milliseconds(1_100))
        _ = try await service.signedIn()
        await service.stop()
    }

    @Test("an agent cannot put themselves on the team of an unaccepted lead of their unit; a team set by the assignee is cleared when the lead goes to another user")
    func teamFollowsAssignment() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Iberia", kind: .team, active: true)), options: admin)
        let (ana, asAna) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (luis, asLuis) = try await service.user("luis", role: .agent, unit: unit.id, admin: admin)
        let (pepe, _) = try await service.user("pepe", role: .agent, unit: unit.id, admin: admin)
        var lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Pool lead")), options: admin)
        _ = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [lead.id], unitId: unit.id), options: admin)
        lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: asLuis)  // the unit's unaccepted lead: seen
        let intrusion = await #expect(throws: RPCError.self) {
            try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: lead.version, lead: LeadsV1.LeadInput(teamUserIds: [luis.id]), updateMask: ["team_user_ids"]), options: asLuis)
        }
        #expect(intrusion?.code == .permissionDenied)

        _ = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [lead.id], unitId: unit.id, userId: ana.id), options: admin)
        lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: asAna)
        lead = try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: lead.version, lead: LeadsV1.LeadInput(teamUserIds: [luis.id]), updateMask: ["team_user_ids"]), options: asAna)
        #expect(lead.teamUserIds == [luis.id])
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: asLuis).id == lead.id)  // on the team: seen

        _ = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [lead.id], unitId: unit.id, userId: pepe.id), options: admin)
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).teamUserIds.isEmpty)
        let gone = await #expect(throws: RPCError.self) { try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: asLuis) }
        #expect(gone?.code == .notFound)
        await service.stop()
    }

    @Test("an import of more than 5,000 rows is INVALID_ARGUMENT naming csv, and creates nothing; 5,000 go in one call")
    func importBoundedInRows() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        func csv(_ rows: Int) -> [UInt8] {
            Array(("full_name,emails\n" + (0..<rows).map { "Lead \($0),l\($0)@example.com\n" }.joined()).utf8)
        }
        let refused = await #expect(throws: RPCError.self) {
            try await service.leadsClient.importLeads(LeadsV1.ImportLeadsRequest(csv: csv(5_001)), options: admin)
        }
        #expect(refused?.code == .invalidArgument && refused?.violations.map(\.field) == ["csv"])
        #expect(try await service.leadsClient.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 0)
        let done = try await service.leadsClient.importLeads(LeadsV1.ImportLeadsRequest(csv: csv(5_000), dryRun: true), options: admin)
        #expect(done.created == 5_000)
        await service.stop()
    }
}
