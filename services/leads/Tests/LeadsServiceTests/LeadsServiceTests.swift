import CRMAPI
import CRMRPC
import CRMWire
import Synchronization
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Leads over RPC", .timeLimit(.minutes(3)))
struct LeadsServiceTests {
    func input(_ name: String, email: String = "", country: String = "ES") -> LeadsV1.LeadInput {
        LeadsV1.LeadInput(fullName: name, emails: email.isEmpty ? [] : [email], country: country)
    }

    @Test("create takes defaults, normalises, records history and an event; duplicates are ALREADY_EXISTS")
    func create() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
            fullName: "  Ana   Pérez ", emails: ["ANA@example.com"], phones: ["600 111 222"], country: "es")), options: admin)
        #expect(lead.fullName == "Ana Pérez")
        #expect(lead.emails == ["ana@example.com"] && lead.phones == ["+34600111222"])
        #expect(lead.state == .pending && lead.statusId == 1 && lead.typeId == 1 && lead.version == 1)
        #expect(lead.expectedCompletionAt > lead.createdAt && lead.timeToCompletionMs > 0)

        let duplicate = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Other", email: "ana@EXAMPLE.com")), options: admin)
        }
        #expect(duplicate?.code == .alreadyExists)
        #expect(duplicate?.message.contains("lead \(lead.id)") == true)
        // The existing lead as a field a client reads, not only in the message.
        #expect(duplicate?.existing == [RpcV1.ExistingEntity(kind: "lead", id: lead.id, field: "lead.emails", value: "ana@example.com")])
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Other", email: "ana@example.com"), allowDuplicate: true), options: admin)
        let found = try await leads.findDuplicates(LeadsV1.FindDuplicatesRequest(phones: ["+34 600 111 222"]), options: admin)
        #expect(found.matches.map(\.leadId) == [lead.id])

        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: lead.id), options: admin)
        #expect(history.entries.first?.action == "created")
        // Every field the lead was created with, from empty (read back from its creation event).
        let created = Dictionary(uniqueKeysWithValues: (history.entries.first?.changes ?? []).map { ($0.field, $0) })
        #expect(created["full_name"]?.oldValue == "" && created["full_name"]?.newValue == "Ana Pérez")
        #expect(created["emails"]?.newValue == "ana@example.com" && created["phones"]?.newValue == "+34600111222")
        #expect(created["country"]?.newValue == "ES" && created["status_id"]?.newValue == "1" && created["type_id"]?.newValue == "1")
        #expect(created["company"] == nil)  // not set, so not a change
        let events = try await leads.listEvents(LeadsV1.ListEventsRequest(), options: admin)
        #expect(events.events.filter { $0.type == .created }.count == 2)
        #expect(events.head == events.events.last?.sequence)
        await service.stop()
    }

    @Test("bad input on create and update names each field and changes nothing")
    func badInput() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let error = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "", emails: ["x"], typeId: 77, priority: 42, probability: -1)), options: admin)
        }
        #expect(error?.code == .invalidArgument)
        #expect(Set(error?.violations.map(\.field) ?? []) == ["lead.full_name", "lead.emails[0]", "lead.type_id", "lead.priority", "lead.probability"])
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 0)

        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        let update = await #expect(throws: RPCError.self) {
            try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: 1, lead: LeadsV1.LeadInput(phones: ["12"]), updateMask: ["phones", "nickname"]), options: admin)
        }
        #expect(Set(update?.violations.map(\.field) ?? []) == ["lead.phones[0]", "update_mask"])
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).version == 1)
        let list = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(sort: [RpcV1.SortKey(field: "password")], pageSize: -1), options: admin)
        }
        #expect(Set(list?.violations.map(\.field) ?? []) == ["sort[0].field", "page_size"])
        await service.stop()
    }

    @Test("update: versions, status moves along transitions only, history with old and new values")
    func update() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        let contacted = try await leads.updateLead(LeadsV1.UpdateLeadRequest(
            id: lead.id, version: 1, lead: LeadsV1.LeadInput(company: "Acme", statusId: 2), updateMask: ["company", "status_id"]), options: admin)
        #expect(contacted.company == "Acme" && contacted.statusId == 2 && contacted.version == 2)
        let stale = await #expect(throws: RPCError.self) {
            try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: 1, lead: LeadsV1.LeadInput(company: "X"), updateMask: ["company"]), options: admin)
        }
        #expect(stale?.code == .aborted)
        let jump = await #expect(throws: RPCError.self) {
            try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: 2, lead: LeadsV1.LeadInput(statusId: 6), updateMask: ["status_id"]), options: admin)
        }
        #expect(jump?.code == .failedPrecondition)
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: lead.id), options: admin).entries
        #expect(history.map(\.action) == ["updated", "created"])
        #expect(Set(history[0].changes.map(\.field)) == ["company", "status_id"])
        #expect(history[0].changes.first { $0.field == "status_id" }?.oldValue == "1")
        await service.stop()
    }

    @Test("the life cycle: start, win blocked by open activities, win; lose needs a reason; delete only while pending")
    func lifecycle() async throws {
        let openWork = Mutex(1)
        let service = try await TestLeadsService.start(openWork: OpenWorkCheck { _, _ in openWork.withLock { $0 } })
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        var lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        lead = try await leads.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: admin)
        #expect(lead.state == .inProgress && lead.startedAt > 0)
        let blocked = await #expect(throws: RPCError.self) { try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin) }
        #expect(blocked?.code == .failedPrecondition)
        openWork.withLock { $0 = 0 }
        lead = try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin)
        #expect(lead.state == .won && lead.statusId == 6)
        let deleteWon = await #expect(throws: RPCError.self) { try await leads.deleteLead(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: admin) }
        #expect(deleteWon?.code == .failedPrecondition)

        let other = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Bea")), options: admin)
        let noReason = await #expect(throws: RPCError.self) { try await leads.loseLead(LeadsV1.LoseLeadRequest(id: other.id, version: 1), options: admin) }
        #expect(noReason?.violations.first?.field == "lost_reason_id")
        let lost = try await leads.loseLead(LeadsV1.LoseLeadRequest(id: other.id, version: 1, lostReasonId: 4, note: "too expensive"), options: admin)
        #expect(lost.state == .lost && lost.lostReasonId == 4)
        #expect(try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: other.id), options: admin).entries.first?.reason == "too expensive")

        let pending = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Carla")), options: admin)
        _ = try await leads.deleteLead(LeadsV1.LeadActionRequest(id: pending.id, version: 1), options: admin)
        let gone = await #expect(throws: RPCError.self) { try await leads.getLead(LeadsV1.GetLeadRequest(id: pending.id), options: admin) }
        #expect(gone?.code == .notFound)
        await service.stop()
    }

    @Test("without crm-activities, win, lose and cancel fail closed (UNAVAILABLE) and change nothing")
    func failsClosed() async throws {
        let service = try await TestLeadsService.start(openWork: .unconfigured)
        let admin = try await service.signedIn()
        let lead = try await service.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana")), options: admin)
        let error = await #expect(throws: RPCError.self) {
            try await service.leadsClient.cancelLead(LeadsV1.LeadActionRequest(id: lead.id, version: 1, reason: "test"), options: admin)
        }
        #expect(error?.code == .unavailable)
        #expect(try await service.leadsClient.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).state == .pending)
        await service.stop()
    }

    @Test("visibility: an agent sees their own leads and the unit's unaccepted ones; others are NOT_FOUND")
    func visibility() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Norte", kind: .team, active: true)), options: admin)
        let (ana, anaOptions) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (_, bobOptions) = try await service.user("bob", role: .agent, unit: unit.id, admin: admin)
        let leads = service.leadsClient
        let own = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Ana's")), options: anaOptions)
        let adminLead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Admin's")), options: admin)

        let hidden = await #expect(throws: RPCError.self) { try await leads.getLead(LeadsV1.GetLeadRequest(id: own.id), options: bobOptions) }
        #expect(hidden?.code == .notFound)
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: anaOptions).leads.map(\.id) == [own.id])
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: bobOptions).totalCount == 0)
        let allView = await #expect(throws: RPCError.self) {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .all)), options: anaOptions)
        }
        #expect(allView?.violations.first?.field == "filter.view")
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .all)), options: admin).totalCount == 2)
        #expect(adminLead.ownerId != ana.id)
        let feed = await #expect(throws: RPCError.self) { try await leads.listEvents(LeadsV1.ListEventsRequest(), options: anaOptions) }
        #expect(feed?.code == .permissionDenied)
        await service.stop()
    }

    @Test("lists filter by text, state and overdue, sort on any column, and page")
    func lists() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        for (i, name) in ["Carmen Ruiz", "Alberto Gil", "Beatriz Sanz", "Alberto Díaz"].enumerated() {
            _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: name, country: i % 2 == 0 ? "ES" : "PT", expectedCompletionAt: i == 3 ? 1_000 : 0)), options: admin)
        }
        let alberto = try await leads.listLeads(LeadsV1.ListLeadsRequest(
            filter: LeadsV1.LeadFilter(text: "alberto"), sort: [RpcV1.SortKey(field: "full_name")]), options: admin)
        #expect(alberto.leads.map(\.fullName) == ["Alberto Díaz", "Alberto Gil"])
        let portugal = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(countries: ["pt"])), options: admin)
        #expect(portugal.totalCount == 2)
        let overdue = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(overdueOnly: true)), options: admin)
        #expect(overdue.leads.map(\.fullName) == ["Alberto Díaz"])
        #expect(overdue.leads.first!.timeOverdueMs > 0)

        var names: [String] = []
        var token = ""
        repeat {
            let page = try await leads.listLeads(LeadsV1.ListLeadsRequest(
                sort: [RpcV1.SortKey(field: "full_name", descending: true)], pageSize: 3, pageToken: token), options: admin)
            names += page.leads.map(\.fullName)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(names == ["Carmen Ruiz", "Beatriz Sanz", "Alberto Gil", "Alberto Díaz"])
        await service.stop()
    }

    @Test("lists filter on custom fields by type: text ignoring case, choices, integer and decimal ranges")
    func customFieldFilters() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        func energy(_ name: String, _ tariff: String, _ kwh: Int64, _ kw: String) -> LeadsV1.CreateLeadRequest {
            LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name, typeId: 2, customFields: [
                LeadsV1.CustomFieldValue(key: "tariff", value: .text(tariff)),
                LeadsV1.CustomFieldValue(key: "annual_consumption_kwh", value: .integer(kwh)),
                LeadsV1.CustomFieldValue(key: "contracted_power_kw", value: .decimal(kw)),
            ]))
        }
        _ = try await leads.createLead(energy("Bakery", "2.0TD", 8_000, "4.6"), options: admin)
        _ = try await leads.createLead(energy("Factory", "6.1TD", 900_000, "450.5"), options: admin)
        _ = try await leads.createLead(energy("Shop", "3.0TD", 40_000, "15"), options: admin)
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Plain")), options: admin)
        func names(_ conditions: [LeadsV1.CustomFieldFilter]) async throws -> [String] {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(
                filter: LeadsV1.LeadFilter(customFields: conditions), sort: [RpcV1.SortKey(field: "full_name")]), options: admin).leads.map(\.fullName)
        }
        #expect(try await names([LeadsV1.CustomFieldFilter(key: "tariff", equals: ["2.0td", "3.0TD"])]) == ["Bakery", "Shop"])
        #expect(try await names([LeadsV1.CustomFieldFilter(key: "annual_consumption_kwh", min: "10000")]) == ["Factory", "Shop"])
        #expect(try await names([LeadsV1.CustomFieldFilter(key: "contracted_power_kw", min: "5", max: "100.25")]) == ["Shop"])
        #expect(try await names([
            LeadsV1.CustomFieldFilter(key: "annual_consumption_kwh", max: "50000"), LeadsV1.CustomFieldFilter(key: "tariff", equals: ["2.0TD"]),
        ]) == ["Bakery"])
        let bad = await #expect(throws: RPCError.self) {
            try await names([
                LeadsV1.CustomFieldFilter(key: "nope", equals: ["x"]), LeadsV1.CustomFieldFilter(key: "annual_consumption_kwh", min: "lots"),
                LeadsV1.CustomFieldFilter(key: "tariff", min: "2"), LeadsV1.CustomFieldFilter(key: "cups"),
            ])
        }
        #expect(bad?.violations.map(\.field) == [
            "filter.custom_fields[0].key", "filter.custom_fields[1].min", "filter.custom_fields[2].min", "filter.custom_fields[3]",
        ])
        await service.stop()
    }

    @Test("WatchEvents streams the backlog, then new events as they commit")
    func watch() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("First")), options: admin)
        let before = try await leads.listEvents(LeadsV1.ListEventsRequest(), options: admin).head
        let stream = leads.watchEvents(LeadsV1.WatchEventsRequest(after: 0), options: admin)
        var iterator = stream.makeAsyncIterator()
        var seen: [Int64] = []
        while seen.last != before { seen.append(try await iterator.next()!.sequence) }
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: input("Second")), options: admin)
        let next = try await iterator.next()!
        #expect(next.sequence == before + 1)
        #expect(next.type == .created && next.lead?.fullName == "Second")
        #expect(seen == Array(1...before))
        await service.stop()
    }
}
