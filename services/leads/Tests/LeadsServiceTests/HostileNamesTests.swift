import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Testing
@testable import LeadsDomain
@testable import LeadsService

/// Names that break other CRMs survive every path a lead takes, byte for byte (issue 14 item 16).
@Suite("names that break other CRMs", .timeLimit(.minutes(2)))
struct HostileNamesTests {
    static let name = "Ana O'Neil \"la Jefa\" Núñez-Çelik שָׁלוֹם"
    static let company = "D'Artagnan & \"Fils\", S.A. — مؤسسة <b>ÆØÅ</b>"
    static let otherCompany = "L'Oréal \u{202E}evil\u{202C}; 株式会社 '1'='1"

    @Test("create, edit, export, import, merge and conversion keep an apostrophe, quotes, accents, right-to-left text and markup exactly")
    func walk() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        var lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: Self.name, company: Self.company, emails: ["ana@example.com"])), options: admin)
        #expect(lead.fullName == Self.name && lead.company == Self.company)
        lead = try await leads.updateLead(LeadsV1.UpdateLeadRequest(id: lead.id, version: lead.version, lead: LeadsV1.LeadInput(company: Self.otherCompany), updateMask: ["company"]), options: admin)
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).company == Self.otherCompany)
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: lead.id), options: admin)
        #expect(history.entries.first?.changes.first { $0.field == "company" }.map { [$0.oldValue, $0.newValue] } == [Self.company, Self.otherCompany])
        // Searched by the words of its name.
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(text: "o'neil")), options: admin).leads.map(\.id) == [lead.id])

        var csv: [UInt8] = []
        for try await chunk in leads.exportLeads(LeadsV1.ExportLeadsRequest(columns: ["full_name", "company", "emails"]), options: admin) { csv += chunk.data }
        let records = try CSV.parse(csv)
        #expect(records.count == 2 && records[1].fields == [Self.name, Self.otherCompany, "ana@example.com"])

        let imported = try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: csv, allowDuplicates: true), options: admin)
        let copy = try await leads.getLead(LeadsV1.GetLeadRequest(id: try #require(imported.createdIds.first)), options: admin)
        #expect(copy.fullName == Self.name && copy.company == Self.otherCompany)

        lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin)
        let merged = try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(keepId: lead.id, keepVersion: lead.version, mergeId: copy.id, mergeVersion: copy.version), options: admin)
        #expect(merged.fullName == Self.name && merged.company == Self.otherCompany)

        lead = try await leads.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: merged.version), options: admin)
        lead = try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin)
        let conversion = try await leads.getConversion(LeadsV1.GetConversionRequest(leadId: lead.id), options: admin)
        #expect(conversion.account?.name == Self.otherCompany && conversion.contact?.fullName == Self.name, "\(conversion)")
        await service.stop()
    }
}
