import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("CSV import rules", .timeLimit(.minutes(3)))
struct LeadImportRulesTests {
    let config = DefaultConfiguration.value
    let caller = Caller(userID: 1, role: .admin, unitID: 0)

    func plan(_ header: [String], mapping: [(String, String)] = []) -> (LeadImport, [Violation]) {
        var v = Violations()
        let plan = LeadImport(header: header, mapping: mapping.map { (column: $0.0, field: $0.1) }, configuration: config, caller: caller,
                              now: 1_000, userIDs: ["ana": 7], into: &v)
        return (plan, v.all)
    }

    @Test("headers match fields by name and usual spellings; read-only export columns are skipped; others are errors")
    func headers() {
        let (good, none) = plan(["Name", "E-mail", "type", "owner", "cups", "id", "status"])
        #expect(none.isEmpty)
        #expect(good.columns.map(\.target.name) == ["full_name", "emails", "type_id", "owner_id", "custom_fields.cups", "status_id"])
        #expect(good.idColumn == 5)
        let (_, errors) = plan(["name", "favourite colour"])
        #expect(errors.map(\.field) == ["csv"])
        let (_, noName) = plan(["email"])
        #expect(noName.map(\.field) == ["mapping"])
        let (_, badMapping) = plan(["Nombre", "Correo"], mapping: [("Nombre", "full_name"), ("Correo", "mail"), ("Teléfono", "phones")])
        #expect(Set(badMapping.map(\.field)) == ["mapping[1].field", "mapping[2].column"])
        // Mapping one column leaves the others matched by their headers (and "" skips one).
        let (mapped, fine) = plan(["Nombre", "email", "phone", "notes"], mapping: [("Nombre", "full_name"), ("notes", "")])
        #expect(fine.isEmpty, "\(fine)")
        #expect(mapped.columns.map(\.target.name) == ["full_name", "emails", "phones"])
    }

    @Test("a row becomes a normalised imported lead, or errors naming its row and column")
    func rows() {
        let (p, _) = plan(["name", "email", "type", "owner", "target_amount", "contact_on", "annual_consumption_kwh"])
        guard case .lead(let lead) = p.lead(row: 4, fields: ["Ana", "ANA@x.com; ana@y.com", "Energy supply", "ana", "1200.5 EUR", "2026-12-01", "9000"], header: 7) else {
            Issue.record("the row should import")
            return
        }
        #expect(lead.emails == ["ana@x.com", "ana@y.com"] && lead.typeID == 2 && lead.ownerID == 7 && lead.imported)
        #expect(lead.targetAmount == LeadRecord.Money(amountMinor: 120_050, currency: "EUR"))
        #expect(lead.contactOn == Timestamp.parse("2026-12-01") && lead.customFields["annual_consumption_kwh"] == .integer(9000))
        #expect(lead.state == .pending && lead.statusID != 0)

        let bad = p.lead(row: 5, fields: ["", "not-an-email", "Nope", "bob", "12", "someday", "lots"], header: 7)
        guard case .errors(let errors) = bad else { Issue.record("the row should fail"); return }
        #expect(errors.allSatisfy { $0.row == 5 })
        #expect(errors.map(\.column) == ["type", "owner", "target_amount", "contact_on", "annual_consumption_kwh"])
        guard case .errors(let ruleErrors) = p.lead(row: 6, fields: ["", "not-an-email", "", "", "", "", ""], header: 7) else { return }
        #expect(ruleErrors.map(\.column) == ["name", "email"])
        guard case .errors(let short) = p.lead(row: 7, fields: ["Ana"], header: 7) else { return }
        #expect(short.first?.message == "has 1 fields where the header has 7")
    }
}

@Suite("CSV import and export over RPC", .timeLimit(.minutes(3)))
struct ImportExportServiceTests {
    func importing(_ csv: String, _ leads: LeadsV1.Leads.Client, _ options: CallOptions, dryRun: Bool = false, first: Int32 = 0) async throws -> LeadsV1.ImportLeadsResponse {
        try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: Array(csv.utf8), firstRowNumber: first, dryRun: dryRun, fileName: "leads.csv"), options: options)
    }

    @Test("valid rows are created, bad rows and duplicates reported by row; a re-run with the same key creates nothing")
    func importRows() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Existing", emails: ["old@x.com"])), options: admin)
        let csv = """
            full_name,emails,phones,country,priority
            Ana,ana@x.com,600111222,ES,7
            ,bad-mail,,ES,5
            Bea,OLD@x.com,,ES,5
            Carla,carla@x.com,+34 600 111 222,ES,5
            "Díaz, Eva",eva@x.com,,PT,11

            Fran,fran@x.com,,FR,

            """
        let dry = try await importing(csv, leads, admin, dryRun: true)
        #expect(dry.created == 2 && dry.createdIds.isEmpty)
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 1)

        let keyed = admin.with(idempotencyKey: "import-leads.csv-part-1")
        let result = try await importing(csv, leads, keyed, first: 1)
        #expect(result.rowsRead == 6 && result.created == 2 && result.failed == 2 && result.duplicates == 2)
        #expect(result.errors.map(\.row) == [2, 2, 3, 4, 5])
        #expect(result.errors.map(\.column) == ["full_name", "emails", "emails", "phones", "priority"])
        #expect(result.errors[2].message.contains("lead 1"))
        #expect(result.errors[3].message == "has the same phone as row 1 (+34600111222)")
        var again = try await importing(csv, leads, keyed, first: 1)
        #expect(again.replayed && !result.replayed)  // the first answer, marked as such
        again.replayed = false
        #expect(again == result)
        let all = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(importedOnly: true), sort: [RpcV1.SortKey(field: "id")]), options: admin)
        #expect(all.leads.map(\.fullName) == ["Ana", "Fran"] && all.leads.map(\.id) == result.createdIds)
        #expect(all.leads[0].phones == ["+34600111222"] && all.leads[0].priority == 7)
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: all.leads[1].id), options: admin)
        #expect(history.entries.first?.action == "imported" && history.entries.first?.reason == "leads.csv, row 7")

        let later = try await importing("full_name,emails\nGema,gema@x.com\n", leads, admin, first: 1001)
        #expect(later.created == 1)
        let broken = await #expect(throws: RPCError.self) { try await importing("full_name\n\"open", leads, admin) }
        #expect(broken?.violations.first?.field == "csv")
        let unknown = await #expect(throws: RPCError.self) { try await importing("full_name,shoe size\nAna,42\n", leads, admin) }
        #expect(unknown?.violations.first?.description.contains("shoe size") == true)
        let huge = await #expect(throws: RPCError.self) {
            try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: [UInt8](repeating: 0x41, count: 3 * 1024 * 1024 + 1)), options: admin)
        }
        #expect(huge?.violations.first?.field == "csv")
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 4)
        await service.stop()
    }

    @Test("a file of thousands of rows, checked in parallel parts, is stored and reported in row order")
    func importManyRows() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        var csv = "full_name,emails,priority\n"
        for i in 1...4_000 {
            // Every 1,000th row has a bad priority; row 3,500 repeats row 10's e-mail.
            csv += "Lead \(i),\(i == 3_500 ? "lead10" : "lead\(i)")@x.com,\(i % 1_000 == 0 ? "99" : "5")\n"
        }
        let result = try await importing(csv, leads, admin, first: 1)
        #expect(result.rowsRead == 4_000 && result.created == 3_995 && result.failed == 4 && result.duplicates == 1)
        #expect(result.errors.map(\.row) == [1_000, 2_000, 3_000, 3_500, 4_000])
        #expect(result.errors[3].message == "has the same email as row 10 (lead10@x.com)")
        #expect(result.createdIds == result.createdIds.sorted() && Set(result.createdIds).count == 3_995)
        let last = try await leads.getLead(LeadsV1.GetLeadRequest(id: result.createdIds.last!), options: admin)
        #expect(last.fullName == "Lead 3999" && last.imported)
        await service.stop()
    }

    @Test("an export streams the filtered list as CSV that imports again")
    func export() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        var seed = "full_name,company,emails,country,target_amount\n"
        for i in 0..<1_200 { seed += CSV.record(["Lead \(i)", i % 2 == 0 ? "Acme, S.L." : "Other", "l\(i)@x.com", i % 3 == 0 ? "PT" : "ES", "10.5 EUR"]) }
        #expect(try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: Array(seed.utf8)), options: admin).created == 1_200)
        var chunks: [RpcV1.CsvChunk] = []
        for try await chunk in leads.exportLeads(LeadsV1.ExportLeadsRequest(
            filter: LeadsV1.LeadFilter(countries: ["ES"]), sort: [RpcV1.SortKey(field: "id")]), options: admin) {
            chunks.append(chunk)
        }
        let records = try CSV.parse(chunks.flatMap(\.data))
        #expect(records.count == 801 && chunks.map(\.rows).reduce(0, +) == 800)
        #expect(records[0].fields == LeadExport.usualColumns + ["cups", "tariff", "annual_consumption_kwh", "contracted_power_kw"])
        let first = Dictionary(uniqueKeysWithValues: zip(records[0].fields, records[1].fields))
        #expect(first["full_name"] == "Lead 1" && first["company"] == "Other" && first["target_amount"] == "10.50 EUR")
        #expect(first["owner"] == "admin" && first["type"] == "Standard" && first["state"] == "pending")

        let some = try await leads.exportLeads(LeadsV1.ExportLeadsRequest(
            filter: LeadsV1.LeadFilter(ids: [1, 2]), sort: [RpcV1.SortKey(field: "id")], columns: ["full_name", "company", "emails", "created_at"]), options: admin)
            .reduce(into: [UInt8]()) { $0 += $1.data }
        let text = String(decoding: some, as: UTF8.self)
        #expect(text.hasPrefix("full_name,company,emails,created_at\r\nLead 0,\"Acme, S.L.\",l0@x.com,20"))

        // The export imports again: names, read-only columns and all (as duplicates, unless allowed).
        let reimport = try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: records.prefix(3).reduce(into: [UInt8]()) { $0 += Array(CSV.record($1.fields).utf8) },
                                                                          allowDuplicates: true), options: admin)
        #expect(reimport.created == 2 && reimport.errors.isEmpty)

        let bad = await #expect(throws: RPCError.self) {
            for try await _ in leads.exportLeads(LeadsV1.ExportLeadsRequest(columns: ["full_name", "password_hash"]), options: admin) {}
        }
        #expect(bad?.violations.map(\.field) == ["columns[1]"])
        await service.stop()
    }
}
