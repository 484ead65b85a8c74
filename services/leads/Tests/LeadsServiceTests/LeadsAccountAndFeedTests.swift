import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
@testable import LeadsDomain
@testable import LeadsService
import GRDB
import CRMService
import Testing

@Suite("accounts checked on every call; the feed woken by every kind of event; closing checked before crm-activities", .timeLimit(.minutes(1)))
struct LeadsAccountAndFeedTests {
    func input(_ name: String) -> LeadsV1.LeadInput {
        LeadsV1.LeadInput(fullName: name, country: "ES")
    }

    @Test("a deactivated user's token is refused by every RPC, and a role change applies without a new token")
    func deactivatedUser() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let (agent, agentOptions) = try await service.user("juan", role: .agent, admin: admin)
        let lead = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: agentOptions)

        // Demoted to... promoted to sales manager: the same token now sees every lead.
        let other = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: input("Bea")), options: admin)
        await #expect(throws: RPCError.self) { try await service.leadsClient.getLead(LeadsV1.GetLeadRequest(id: other.id), options: agentOptions) }
        var user = try await service.directory.updateUser(LeadsV1.UpdateUserRequest(
            id: agent.id, version: agent.version, user: LeadsV1.UserInput(role: .salesManager), updateMask: ["role"]), options: admin)
        #expect(try await service.leadsClient.getLead(LeadsV1.GetLeadRequest(id: other.id), options: agentOptions).fullName == "Bea")

        user = try await service.directory.updateUser(LeadsV1.UpdateUserRequest(
            id: agent.id, version: user.version, user: LeadsV1.UserInput(active: false), updateMask: ["active"]), options: admin)
        #expect(!user.active)
        let refusals: [(String, () async throws -> Void)] = [
            ("CreateLead", { _ = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: input("Carla")), options: agentOptions) }),
            ("AddNote", { _ = try await service.leadsClient.addNote(LeadsV1.AddNoteRequest(leadId: lead.id, text: "still here"), options: agentOptions) }),
            ("UpdateLead", {
                _ = try await service.leadsClient.updateLead(LeadsV1.UpdateLeadRequest(
                    id: lead.id, version: lead.version, lead: LeadsV1.LeadInput(company: "X"), updateMask: ["company"]), options: agentOptions)
            }),
            ("ListLeads", { _ = try await service.leadsClient.listLeads(LeadsV1.ListLeadsRequest(), options: agentOptions) }),
            ("ListUsers", { _ = try await service.directory.listUsers(LeadsV1.ListUsersRequest(), options: agentOptions) }),
        ]
        for (name, call) in refusals {
            let error = await #expect(throws: RPCError.self, "\(name)") { try await call() }
            #expect(error?.code == .unauthenticated, "\(name): \(String(describing: error))")
        }
        #expect(try await service.leadsClient.listNotes(LeadsV1.ListNotesRequest(leadId: lead.id), options: admin).notes.isEmpty)
        await service.stop()
    }

    @Test("WatchEvents is woken by user, unit and configuration changes, not only by leads")
    func feedWokenByEveryEvent() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let head = try await service.leadsClient.listEvents(LeadsV1.ListEventsRequest(), options: admin).head
        var events = service.leadsClient.watchEvents(LeadsV1.WatchEventsRequest(after: head), options: admin).makeAsyncIterator()

        _ = try await service.user("ana", role: .agent, admin: admin)
        #expect(try await events.next()?.type == .userChanged)
        _ = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Madrid", kind: .team, active: true)), options: admin)
        #expect(try await events.next()?.type == .unitChanged)
        _ = try await LeadsV1.LeadConfig.Client(service.client).saveCatalogItem(
            LeadsV1.SaveCatalogItemRequest(item: LeadsV1.CatalogItem(kind: .competitor, name: "Rival S.A.", active: true)), options: admin)
        #expect(try await events.next()?.type == .configurationChanged)
        _ = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        #expect(try await events.next()?.type == .created)
        await service.stop()
    }

    @Test("win, lose and cancel check the request and the lead first: a call that can never succeed is not UNAVAILABLE")
    func closingChecksBeforeActivities() async throws {
        let service = try await TestLeadsService.start(openWork: .unconfigured)
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let pending = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)

        let noReason = await #expect(throws: RPCError.self) { try await leads.loseLead(LeadsV1.LoseLeadRequest(id: pending.id, version: 1), options: admin) }
        #expect(noReason?.code == .invalidArgument && noReason?.violations.first?.field == "lost_reason_id")
        let winPending = await #expect(throws: RPCError.self) { try await leads.winLead(LeadsV1.WinLeadRequest(id: pending.id, version: 1), options: admin) }
        #expect(winPending?.code == .failedPrecondition, "\(String(describing: winPending))")
        let started = try await leads.startProgress(LeadsV1.LeadActionRequest(id: pending.id, version: 1), options: admin)
        let stale = await #expect(throws: RPCError.self) { try await leads.winLead(LeadsV1.WinLeadRequest(id: pending.id, version: 1), options: admin) }
        #expect(stale?.code == .aborted, "\(String(describing: stale))")
        // A request that could succeed is the one that waits for crm-activities.
        let unavailable = await #expect(throws: RPCError.self) { try await leads.winLead(LeadsV1.WinLeadRequest(id: pending.id, version: started.version), options: admin) }
        #expect(unavailable?.code == .unavailable)
        await service.stop()
    }

    @Test("a refused close names the open work crm-activities reported")
    func refusalNamesOpenWork() async throws {
        let service = try await TestLeadsService.start(openWork: OpenWorkCheck(describing: { _, _ in ["activity 4 (Demo, ends 2026-12-02 10:30 UTC)", "task 2 (Send offer)"] }))
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        let started = try await leads.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: 1), options: admin)
        let refused = await #expect(throws: RPCError.self) { try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: started.version), options: admin) }
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.message.contains("activity 4 (Demo") == true && refused?.message.contains("task 2 (Send offer)") == true, "\(String(describing: refused))")
        await service.stop()
    }
}

@Suite("idempotency keys in crm-leads", .timeLimit(.minutes(1)))
struct LeadsIdempotencyTests {
    @Test("a retry with the same key and request replays the first answer; the same key with another request is FAILED_PRECONDITION")
    func keyBoundToRequest() async throws {
        let service = try await TestLeadsService.start()
        let keyed = try await service.signedIn(idempotencyKey: "import-1")
        let admin = try await service.signedIn()
        let request = LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana", country: "ES"))
        let first = try await service.leadsClient.createLead(request, options: keyed)
        let retry = try await service.leadsClient.createLead(request, options: keyed)
        #expect(first == retry)
        let other = await #expect(throws: RPCError.self) {
            try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Bea", country: "ES")), options: keyed)
        }
        #expect(other?.code == .failedPrecondition && other?.message.contains("import-1") == true, "\(String(describing: other))")
        #expect(try await service.leadsClient.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 1)
        await service.stop()
    }
}

@Suite("a database made by the previous release", .timeLimit(.minutes(1)))
struct LeadsMigrationV11Tests {
    @Test("opens under the kit's service database; its leads, events and stored answers are kept, and old keys still replay")
    func previousRelease() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-leads-v11-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try LeadWritePathTests.database(in: folder, upTo: "v10: creation history read from the creation event") { db in
            try db.execute(sql: "INSERT INTO event (type, entity_id, at, actor_id, payload) VALUES (5, 1, 1000, 1, x'')")
            try db.execute(sql: "INSERT INTO idempotency (caller_id, method, key, response, created_at) VALUES (1, '/m', 'k', x'0801', ?)", arguments: [WallClock.system.millis()])
        }
        let database = try LeadsDatabase(path: path)
        defer { try? database.close() }
        let (events, answer) = try await database.read { db in
            (try EventOutbox.events(db, after: 0, limit: 10), try IdempotencyKeys.answer(db, callerID: 1, method: "/m", key: "k", requestHash: "any"))
        }
        #expect(events.count == 1 && events.first?.at == 1000)
        #expect(answer == [0x08, 0x01])  // stored before requests were hashed: replayed as before
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user") } == 0)
    }
}

@Suite("a unit manager and the unit view", .timeLimit(.minutes(1)))
struct LeadsUnitViewTests {
    @Test("a unit manager sees the leads owned by or assigned to her unit's members; --unit without a unit is an error")
    func unitManager() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Madrid", kind: .team, active: true)), options: admin)
        let (_, manager) = try await service.user("marta", role: .unitManager, unit: unit.id, admin: admin)
        let (_, first) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (_, second) = try await service.user("bea", role: .agent, unit: unit.id, admin: admin)
        let (_, outsider) = try await service.user("olga", role: .agent, admin: admin)
        let leads = service.leadsClient
        let a = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Lead of Ana", country: "ES")), options: first)
        let b = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Lead of Bea", country: "ES")), options: second)
        let o = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Lead of Olga", country: "ES")), options: outsider)

        let view = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .unit)), options: manager)
        #expect(Set(view.leads.map(\.id)) == [a.id, b.id] && view.totalCount == 2)
        let visible = try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: manager)
        #expect(Set(visible.leads.map(\.id)) == [a.id, b.id])
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: a.id), options: manager).fullName == "Lead of Ana")
        let hidden = await #expect(throws: RPCError.self) { try await leads.getLead(LeadsV1.GetLeadRequest(id: o.id), options: manager) }
        #expect(hidden?.code == .notFound)
        // An agent of the unit still sees only her own and the unit's unaccepted leads.
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: first).leads.map(\.id) == [a.id])

        let noUnit = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .unit)), options: admin)
        }
        #expect(noUnit?.code == .invalidArgument && noUnit?.violations.first?.field == "filter.view")
        await service.stop()
    }
}

@Suite("input is parsed or refused, never guessed", .timeLimit(.minutes(1)))
struct LeadsNoGuessingTests {
    @Test("a new lead's status must be a pending one of its type; a country must be an assigned code, in a lead and in a filter")
    func refusals() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        for status: Int64 in [6, 99] {
            let refused = await #expect(throws: RPCError.self) {
                try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana", country: "ES", statusId: status)), options: admin)
            }
            #expect(refused?.violations.map(\.field) == ["lead.status_id"], "\(status): \(String(describing: refused))")
        }
        let config = try await LeadsV1.LeadConfig.Client(service.client).getConfiguration(LeadsV1.GetConfigurationRequest(), options: admin)
        let pending = try #require(config.statuses.first { $0.state == .pending })
        let created = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana", country: "ES", statusId: pending.id)), options: admin)
        #expect(created.statusId == pending.id)
        let country = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Bea", country: "XX")), options: admin)
        }
        #expect(country?.violations.map(\.field) == ["lead.country"])
        let filter = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(countries: ["ES", "xx"], statusIds: [999])), options: admin)
        }
        #expect(filter?.violations.map(\.field) == ["filter.countries[1]", "filter.status_ids[0]"], "\(String(describing: filter))")
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 1)
        await service.stop()
    }
}

@Suite("a duplicate's refusal names only what the caller may see", .timeLimit(.minutes(1)))
struct LeadsDuplicateLeakTests {
    @Test("an agent creating or importing a lead with the e-mail of a lead hidden from them learns that a duplicate exists, not which lead")
    func hiddenDuplicate() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let (_, agent) = try await service.user("ana", role: .agent, admin: admin)
        let hidden = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Hidden", emails: ["secret@x.com"], country: "ES")), options: admin)
        let refused = await #expect(throws: RPCError.self) {
            try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Mine", emails: ["secret@x.com"], country: "ES")), options: agent)
        }
        #expect(refused?.code == .alreadyExists && refused?.message.contains("a lead you may not see") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains("lead \(hidden.id)") == false)
        #expect(refused?.existing.isEmpty == true)  // nor in the structured detail
        let imported = try await service.leadsClient.importLeads(LeadsV1.ImportLeadsRequest(csv: Array("full_name,emails\nMine,secret@x.com\n".utf8)), options: agent)
        #expect(imported.errors.first?.message.contains("a lead you may not see") == true && imported.errors.first?.message.contains("lead \(hidden.id) ") == false, "\(imported.errors)")
        // The admin, who sees it, is told which lead it is.
        let named = await #expect(throws: RPCError.self) {
            try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Again", emails: ["secret@x.com"], country: "ES")), options: admin)
        }
        #expect(named?.message.hasPrefix("lead \(hidden.id) has the same email") == true, "\(String(describing: named))")
        #expect(named?.existing.map(\.kind) == ["lead"] && named?.existing.first?.id == hidden.id && named?.existing.first?.field == "lead.emails", "\(String(describing: named?.existing))")
        await service.stop()
    }
}
