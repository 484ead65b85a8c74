import CRMAPI
import CRMRPC
import CRMWire
import Testing
@testable import LeadsService

/// Unread marks for whoever sets them, and assignment rules that never share a position (issue 14 item 13).
@Suite("unread marks and rule positions", .timeLimit(.minutes(2)))
struct ReadMarksAndRulesTests {
    @Test("a lead its owner marks unread shows in the owner's unread view until the owner opens it")
    func ownerUnread() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let (_, asOwner) = try await service.user("olga", role: .salesManager, admin: admin)
        let leads = service.leadsClient
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Owned, not assigned")), options: asOwner)
        func unread() async throws -> [Int64] {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .unread)), options: asOwner).leads.map(\.id)
        }
        #expect(try await unread().isEmpty)
        _ = try await leads.markRead(LeadsV1.MarkReadRequest(id: lead.id, read: false), options: asOwner)
        #expect(try await unread() == [lead.id])
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: asOwner).leads.first?.unread == true)
        _ = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: asOwner)
        #expect(try await unread().isEmpty)
        // Someone else's mark is theirs alone.
        _ = try await leads.markRead(LeadsV1.MarkReadRequest(id: lead.id, read: false), options: admin)
        #expect(try await unread().isEmpty)
        await service.stop()
    }

    @Test("rules saved at a position another holds push it down; position 0 goes last; no two rules share a position")
    func distinctPositions() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Iberia", kind: .team, active: true)), options: admin)
        func save(_ name: String, _ position: Int32) async throws -> LeadsV1.AssignmentRule {
            try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: LeadsV1.AssignmentRule(name: name, position: position, unitId: unit.id, active: true)), options: admin)
        }
        _ = try await save("first", 1)
        _ = try await save("second", 1)
        let last = try await save("last", 0)
        #expect(last.position == 3)
        let rules = try await leads.listAssignmentRules(LeadsV1.ListAssignmentRulesRequest(), options: admin).rules
        #expect(rules.map(\.name) == ["second", "first", "last"] && rules.map(\.position) == [1, 2, 3])
        await service.stop()
    }
}
