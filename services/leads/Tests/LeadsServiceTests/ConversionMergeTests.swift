import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Merge and conversion rules", .timeLimit(.minutes(3)))
struct MergeConversionRulesTests {
    let config = DefaultConfiguration.value
    let admin = Caller(userID: 1, role: .admin, unitID: 0)

    func lead(_ id: Int64, _ name: String, emails: [String] = [], state: LifecycleState = .pending) -> LeadRecord {
        var lead = LeadRecord()
        lead.id = id
        lead.fullName = name
        LeadLifecycle(configuration: config, now: 1_000).prepareNew(&lead, caller: admin)
        lead.emails = emails
        lead.state = state
        return lead
    }

    @Test("a merge fills the kept lead's gaps, unions contacts and closes the other as CANCELLED")
    func merge() throws {
        var keep = lead(1, "Ana", emails: ["ana@a.com"])
        keep.company = "Acme"
        var other = lead(2, "Ana P.", emails: ["ana@b.com", "ana@a.com"])
        other.company = "Other Co"
        other.region = "Madrid"
        other.teamUserIDs = [7]
        let (kept, merged) = try LeadMerge(configuration: config, now: 5_000).merge(keep: keep, into: other, caller: admin)
        #expect(kept.emails == ["ana@a.com", "ana@b.com"])
        #expect(kept.company == "Acme" && kept.region == "Madrid" && kept.teamUserIDs == [7])
        #expect(merged.mergedIntoID == 1 && merged.state == .cancelled && merged.completedAt == 5_000)
        #expect(config.status(merged.statusID)?.state == .cancelled)
    }

    @Test("a merge refuses the same lead, a closed lead, an agent's foreign leads and two conversions")
    func mergeRules() {
        let merge = LeadMerge(configuration: config, now: 5_000)
        #expect(throws: DomainError.self) { try merge.merge(keep: lead(1, "A"), into: lead(1, "A"), caller: admin) }
        #expect(throws: DomainError.failedPrecondition("a won lead cannot be merged into another; merge the other lead into it instead")) {
            try merge.merge(keep: lead(1, "A"), into: lead(2, "B", state: .won), caller: admin)
        }
        let agent = Caller(userID: 9, role: .agent, unitID: 0)
        #expect(throws: DomainError.permissionDenied("an agent merges only leads they own or are assigned")) {
            try merge.merge(keep: lead(1, "A"), into: lead(2, "B"), caller: agent)
        }
        var a = lead(1, "A"), b = lead(2, "B")
        a.conversion.convertedAt = 1
        b.conversion.convertedAt = 1
        #expect(throws: DomainError.self) { try merge.merge(keep: a, into: b, caller: admin) }
    }

    @Test("conversion: in progress only to an opportunity, won to an account and contact; nothing twice")
    func conversionPlans() throws {
        let conversion = LeadConversion(now: 9_000, actorID: 1)
        #expect(throws: DomainError.self) { try conversion.plan(lead(1, "A"), createOpportunity: true, accountName: "") }
        #expect(throws: DomainError.self) { try conversion.plan(lead(1, "A", state: .inProgress), createOpportunity: false, accountName: "") }
        let opportunity = try conversion.plan(lead(1, "A", state: .inProgress), createOpportunity: true, accountName: "")
        #expect(opportunity.account == nil && opportunity.opportunity?.name == "A")

        var won = lead(1, "Ana", state: .won)
        won.company = "Acme"
        let plan = try conversion.plan(won, createOpportunity: false, accountName: "")
        #expect(plan.account?.name == "Acme" && plan.contact?.fullName == "Ana" && plan.opportunity == nil)
        conversion.apply(plan, accountID: 4, contactID: 5, opportunityID: 0, to: &won)
        #expect(won.conversion.accountID == 4 && won.conversion.convertedAt == 9_000)
        #expect(try conversion.plan(won, createOpportunity: false, accountName: "").isEmpty)
        #expect(throws: DomainError.self) { try conversion.plan(won, createOpportunity: false, accountName: String(repeating: "x", count: 201)) }
    }
}

@Suite("Merge and conversion over RPC", .timeLimit(.minutes(3)))
struct ConversionMergeServiceTests {
    @Test("winning converts automatically; ConvertLead adds an opportunity once; GetConversion and the CONVERTED view show it")
    func convertOnWin() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        var lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
            fullName: "Ana", company: "Acme", emails: ["ana@acme.com"], country: "ES", targetAmount: RpcV1.Money(amountMinor: 120_000, currency: "EUR"))), options: admin)
        let early = await #expect(throws: RPCError.self) { try await leads.convertLead(LeadsV1.ConvertLeadRequest(id: lead.id), options: admin) }
        #expect(early?.code == .failedPrecondition)
        let none = await #expect(throws: RPCError.self) { try await leads.getConversion(LeadsV1.GetConversionRequest(leadId: lead.id), options: admin) }
        #expect(none?.code == .notFound)

        lead = try await leads.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: admin)
        let opportunity = try await leads.convertLead(LeadsV1.ConvertLeadRequest(id: lead.id, createOpportunity: true), options: admin)
        #expect(opportunity.account == nil && opportunity.opportunity?.amount?.amountMinor == 120_000)
        lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin)
        lead = try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin)
        let links = try #require(lead.conversion)
        #expect(links.accountId > 0 && links.contactId > 0 && links.opportunityId == opportunity.opportunity?.id)

        let details = try await leads.getConversion(LeadsV1.GetConversionRequest(leadId: lead.id), options: admin)
        #expect(details.account?.name == "Acme" && details.contact?.emails == ["ana@acme.com"])
        #expect(details.opportunity?.accountId == details.account?.id)
        let again = try await leads.convertLead(LeadsV1.ConvertLeadRequest(id: lead.id, createOpportunity: true), options: admin)
        #expect(again == details)
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).version == lead.version)

        let converted = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .converted)), options: admin)
        #expect(converted.leads.map(\.id) == [lead.id])
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: lead.id), options: admin).entries
        #expect(history.map(\.action).prefix(2) == ["won", "converted"])
        #expect(history[0].changes.contains { $0.field == "account_id" })
        await service.stop()
    }

    @Test("MergeLeads moves notes and history, closes the merged lead, and bad merges change nothing")
    func merge() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let keep = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana", emails: ["ana@a.com"], country: "ES")), options: admin)
        let other = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
            fullName: "Ana Pérez", company: "Acme", emails: ["ana@b.com"], phones: ["+34600111222"], country: "ES")), options: admin)
        _ = try await leads.addNote(LeadsV1.AddNoteRequest(leadId: other.id, text: "called her"), options: admin)

        let stale = await #expect(throws: RPCError.self) {
            try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(keepId: keep.id, keepVersion: 1, mergeId: other.id, mergeVersion: 7), options: admin)
        }
        #expect(stale?.code == .aborted)
        let same = await #expect(throws: RPCError.self) {
            try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(keepId: keep.id, keepVersion: 1, mergeId: keep.id, mergeVersion: 1), options: admin)
        }
        #expect(same?.violations.map(\.field) == ["merge_id"])
        let missing = await #expect(throws: RPCError.self) {
            try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(), options: admin)
        }
        #expect(Set(missing?.violations.map(\.field) ?? []) == ["keep_id", "merge_id", "keep_version", "merge_version"])

        let kept = try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(keepId: keep.id, keepVersion: 1, mergeId: other.id, mergeVersion: 1), options: admin)
        #expect(kept.emails == ["ana@a.com", "ana@b.com"] && kept.phones == ["+34600111222"] && kept.company == "Acme" && kept.version == 2)
        let merged = try await leads.getLead(LeadsV1.GetLeadRequest(id: other.id), options: admin)
        #expect(merged.mergedIntoId == keep.id && merged.state == .cancelled)
        #expect(try await leads.listNotes(LeadsV1.ListNotesRequest(leadId: keep.id), options: admin).notes.map(\.text) == ["called her"])
        let history = try await leads.listHistory(LeadsV1.ListHistoryRequest(leadId: keep.id), options: admin).entries
        #expect(history.contains { $0.action == "created" && $0.reason == "lead \(other.id)" })
        #expect(history.first?.reason == "lead \(other.id) merged into this one")
        let duplicates = try await leads.findDuplicates(LeadsV1.FindDuplicatesRequest(emails: ["ana@b.com"]), options: admin)
        #expect(duplicates.matches.map(\.leadId) == [keep.id])
        #expect(try await service.events().last?.type == .updated)
        #expect(try await service.events().contains { $0.type == .merged && $0.entityId == other.id })

        let twice = await #expect(throws: RPCError.self) {
            try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(keepId: keep.id, keepVersion: 2, mergeId: other.id, mergeVersion: merged.version), options: admin)
        }
        #expect(twice?.code == .failedPrecondition)
        await service.stop()
    }
}
