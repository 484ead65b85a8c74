import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import Testing
@testable import LeadsDomain
@testable import LeadsService

/// Import beyond creating: a round trip through an export, updates of the leads a file matches,
/// and duplicates on the fields the lead definition chooses.
@Suite("Import round trips, updates and chosen duplicate fields", .timeLimit(.minutes(3)))
struct ImportUpdateTests {
    func importing(_ csv: String, _ leads: LeadsV1.Leads.Client, _ options: CallOptions, mode: LeadsV1.ImportMode = .create,
                   matchOn: [String] = [], dryRun: Bool = false) async throws -> LeadsV1.ImportLeadsResponse {
        try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: Array(csv.utf8), firstRowNumber: 1, dryRun: dryRun, fileName: "f.csv",
                                                               mode: mode, matchOn: matchOn), options: options)
    }

    func exported(_ leads: LeadsV1.Leads.Client, _ options: CallOptions) async throws -> [[String]] {
        var bytes: [UInt8] = []
        for try await chunk in leads.exportLeads(LeadsV1.ExportLeadsRequest(sort: [RpcV1.SortKey(field: "full_name")]), options: options) {
            bytes += chunk.data
        }
        return try CSV.parse(bytes).map(\.fields)
    }

    /// Sets the active definition's duplicate fields.
    func duplicateFields(_ fields: [String], _ service: TestLeadsService, _ admin: CallOptions) async throws {
        let config = LeadsV1.LeadConfig.Client(service.client)
        var definition = try await config.getConfiguration(LeadsV1.GetConfigurationRequest(), options: admin).definitions.first { $0.active }!
        definition.duplicateFields = fields
        _ = try await config.saveDefinition(LeadsV1.SaveDefinitionRequest(definition: definition), options: admin)
    }

    @Test("an export imported into an empty system gives the same leads: custom fields, source, owner, status and state included")
    func roundTrip() async throws {
        let first = try await TestLeadsService.start()
        let second = try await TestLeadsService.start()
        let (a, b) = (try await first.signedIn(), try await second.signedIn())
        for (service, admin) in [(first, a), (second, b)] { _ = try await service.user("juan", role: .agent, admin: admin) }
        // Leads in every state, with custom fields, a source, an amount, another owner and a hostile name.
        let seed = #"""
            full_name,company,emails,phones,type,status,lost_reason,source,source_type,owner,target_amount,cups,annual_consumption_kwh,category,contact_on
            Ana O'Brien,"Acme, ""S.L.""",ana@x.com,+34 600 111 222,Energy supply,New,,web,Web form,juan,1200.50 EUR,ES0021000000000001AB,9000,Hot,2026-12-10
            Bea,Beta,bea@x.com,,Standard,Qualifying,,fair,Event,admin,,,,Warm,
            Carla,Gamma,carla@x.com,,Standard,Won,,,,juan,99.00 EUR,,,,
            Dario,Delta,dario@x.com,,Standard,Lost,Price,,,admin,,,,,
            Eva,Épsilon,eva@x.com,,Standard,Cancelled,,,,admin,,,,,

            """#
        let created = try await importing(seed, first.leadsClient, a)
        #expect(created.created == 5 && created.errors.isEmpty, "\(created.errors)")
        let original = try await exported(first.leadsClient, a)
        #expect(original[0].contains("cups") && original[0].contains("source") && original[0].contains("status") && !original[0].contains("custom_fields.cups"))

        let copy = original.reduce(into: "") { $0 += CSV.record($1) }
        let imported = try await importing(copy, second.leadsClient, b)
        #expect(imported.created == 5 && imported.errors.isEmpty, "\(imported.errors)")
        let again = try await exported(second.leadsClient, b)
        // Everything but what a new system gives afresh: ids, times of the record, the assignment.
        let fresh: Set<String> = ["id", "created_at", "updated_at", "assigned_unit", "assigned_user"]
        let kept = original[0].indices.filter { !fresh.contains(original[0][$0]) }
        #expect(again.count == 6)
        for (row, copied) in zip(original, again) {
            #expect(kept.map { row[$0] } == kept.map { copied[$0] })
        }
        let byName = Dictionary(uniqueKeysWithValues: again.dropFirst().map { ($0[1], Dictionary(uniqueKeysWithValues: zip(again[0], $0))) })
        #expect(byName["Dario"]?["state"] == "lost" && byName["Dario"]?["lost_reason"] == "Price" && byName["Carla"]?["state"] == "won")
        #expect(byName["Ana O'Brien"]?["cups"] == "ES0021000000000001AB" && byName["Ana O'Brien"]?["owner"] == "juan")
        #expect(byName["Bea"]?["state"] == "in_progress" && byName["Bea"]?["started_at"] != "")

        // A status of another state than the one named, and a lost lead without its reason, are refused.
        let wrong = try await importing("full_name,status,state,lost_reason\nX,Won,lost,\nY,Lost,,\nZ,New,,Price\n", second.leadsClient, b)
        #expect(wrong.failed == 3 && wrong.errors.map(\.column) == ["state", "lost_reason", "lost_reason"])
        await first.stop()
        await second.stop()
    }

    @Test("update and upsert change the leads rows match, row by row, with history; a row matching two leads fails naming both")
    func updates() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let seed = try await importing("full_name,emails,phones,priority\nAna,ana@x.com,,5\nBea,bea@x.com,+34600111222,5\nCarla,carla@x.com,+34600333444,5\n", leads, admin)
        let (ana, bea, carla) = (seed.createdIds[0], seed.createdIds[1], seed.createdIds[2])

        // Upsert by e-mail: Ana updated, Bea unchanged, Dario new; a row with Bea's e-mail and
        // Carla's phone matches two leads.
        let file = """
            email,phone,priority,full_name
            ANA@x.com,,7,
            bea@x.com,,5,
            dario@x.com,,3,Dario
            bea@x.com,+34600333444,2,
            nobody-has-a-name@x.com,,4,

            """
        let dry = try await importing(file, leads, admin, mode: .upsert, matchOn: ["emails", "phones"], dryRun: true)
        #expect(dry.rows.map(\.outcome) == [.updated, .unchanged, .created, .failed, .failed])
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: ana), options: admin).priority == 5)

        let result = try await importing(file, leads, admin, mode: .upsert, matchOn: ["emails", "phones"])
        #expect(result.rows.map(\.outcome) == [.updated, .unchanged, .created, .failed, .failed])
        #expect(result.rows.map(\.leadId).prefix(2) == [ana, bea])
        #expect(result.updated == 1 && result.unchanged == 1 && result.created == 1 && result.failed == 2)
        #expect(result.rowsRead == result.created + result.updated + result.unchanged + result.failed + result.duplicates)
        #expect(result.errors[0].row == 4 && result.errors[0].message.contains("lead \(bea)") && result.errors[0].message.contains("lead \(carla)"))
        #expect(result.errors[1].row == 5 && result.errors[1].column == "full_name")
        let updated = try await leads.getLead(LeadsV1.GetLeadRequest(id: ana), options: admin)
        #expect(updated.priority == 7 && updated.fullName == "Ana" && updated.emails == ["ana@x.com"])
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: ana), options: admin)
        #expect(history.entries.first?.action == "imported" && history.entries.first?.reason == "f.csv, row 1")
        #expect(history.entries.first?.changes.map(\.field) == ["priority"])

        // Update only: a row matching nothing fails and creates nothing; by id, as an export writes it.
        let byID = try await importing("id,priority\n\(carla),9\n999999,1\n", leads, admin, mode: .update, matchOn: ["id"])
        #expect(byID.rows.map(\.outcome) == [.updated, .failed] && byID.created == 0)
        #expect(byID.errors.first?.message == "matches no lead by id")
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: carla), options: admin).priority == 9)
        // An upsert by id still refuses to create a duplicate by the duplicate fields.
        let byIDNew = try await importing("id,full_name,email\n,Ana Again,ana@x.com\n", leads, admin, mode: .upsert, matchOn: ["id"])
        #expect(byIDNew.duplicates == 1 && byIDNew.created == 0 && byIDNew.errors.first?.message.contains("lead \(ana)") == true, "\(byIDNew.errors)")

        // The life cycle moves by its actions, not by a file; an agent edits only what UpdateLead lets her.
        let status = try await importing("id,status\n\(carla),Won\n", leads, admin, mode: .update, matchOn: ["id"])
        #expect(status.failed == 1 && status.errors.first?.column == "status")
        let (_, agent) = try await service.user("eva", role: .agent, admin: admin)
        let hidden = try await importing("email,priority\nana@x.com,1\n", leads, agent, mode: .update)
        #expect(hidden.failed == 1 && hidden.errors.first?.message == "matches a lead you may not see")

        // Matching needs an indexed field, and create mode takes no match fields.
        let unindexed = await #expect(throws: RPCError.self) { try await importing("cups\nES0021000000000001AB\n", leads, admin, mode: .update, matchOn: ["custom_fields.cups"]) }
        #expect(unindexed?.violations.first?.field == "match_on[0]")
        let createMatch = await #expect(throws: RPCError.self) { try await importing("full_name\nX\n", leads, admin, matchOn: ["emails"]) }
        #expect(createMatch?.violations.first?.field == "match_on")
        await service.stop()
    }

    @Test("the definition's duplicate fields decide duplicates for create, import and FindDuplicates, and an upsert can match by a custom field")
    func chosenFields() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let cups = "ES0021000000000001AB"
        let first = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
            fullName: "Ana", company: "Acme", emails: ["ana@x.com"], typeId: 2,
            customFields: [LeadsV1.CustomFieldValue(key: "cups", value: .text(cups))])), options: admin)

        // A bad field name is refused and changes nothing.
        let bad = await #expect(throws: RPCError.self) { try await duplicateFields(["emails", "custom_fields.nope"], service, admin) }
        #expect(bad?.violations.first?.field == "definition.duplicate_fields[1]")

        try await duplicateFields(["company_name", "custom_fields.cups"], service, admin)
        // The same e-mail is no longer a duplicate; the same company and name (any case) or CUPS is.
        let sameMail = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Other", emails: ["ana@x.com"])), options: admin)
        #expect(sameMail.id != first.id)
        let sameName = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "ANA ", company: "acme")), options: admin)
        }
        #expect(sameName?.code == .alreadyExists && sameName?.message.contains("company and name") == true)
        let sameCups = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "Bea", typeId: 2, customFields: [LeadsV1.CustomFieldValue(key: "cups", value: .text(cups))])), options: admin)
        }
        #expect(sameCups?.code == .alreadyExists && sameCups?.message.contains("cups") == true)
        let found = try await leads.findDuplicates(LeadsV1.FindDuplicatesRequest(
            emails: ["ana@x.com"], customFields: [LeadsV1.CustomFieldValue(key: "cups", value: .text(cups))]), options: admin)
        #expect(found.matches.map(\.leadId) == [first.id] && found.matches.map(\.matchedOn) == ["custom_fields.cups"])
        let imported = try await importing("full_name,company,type,cups\nZoe,Acme,Energy supply,\(cups)\nAna,ACME,Standard,\n", leads, admin)
        #expect(imported.duplicates == 2 && imported.errors.map(\.column) == ["cups", "company"])

        // Leads stored before the change are found by the new fields (the index was rebuilt),
        // and an upsert can match by the supply point code.
        let upsert = try await importing("cups,annual_consumption_kwh\n\(cups),12000\n", leads, admin, mode: .upsert, matchOn: ["custom_fields.cups"])
        #expect(upsert.rows.map(\.outcome) == [.updated] && upsert.rows.first?.leadId == first.id)
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: first.id), options: admin).customFields.contains { $0.key == "annual_consumption_kwh" })

        // Back to the default: e-mails are duplicates again.
        try await duplicateFields([], service, admin)
        let mail = await #expect(throws: RPCError.self) {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Third", emails: ["ana@x.com"])), options: admin)
        }
        #expect(mail?.code == .alreadyExists)
        await service.stop()
    }
}
