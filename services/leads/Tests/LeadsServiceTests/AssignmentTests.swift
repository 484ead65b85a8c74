import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Synchronization
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Assignment: role rules, the trail, and rules on create", .timeLimit(.minutes(3)))
struct AssignmentTests {
    @Test("policy: agents never; unit managers within their unit; users must belong to the unit")
    func policy() throws {
        var lead = LeadRecord()
        lead.assignedUnitID = 3
        let member = (id: Int64(20), unitID: Int64(3), active: true)
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: Caller(userID: 1, role: .agent, unitID: 3), lead: lead, toUnit: 3, toUser: member, toUnitActive: true) }
        try AssignmentPolicy.check(caller: Caller(userID: 2, role: .unitManager, unitID: 3), lead: lead, toUnit: 3, toUser: member, toUnitActive: true)
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: Caller(userID: 2, role: .unitManager, unitID: 3), lead: lead, toUnit: 4, toUser: nil, toUnitActive: true) }
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: Caller(userID: 2, role: .unitManager, unitID: 4), lead: lead, toUnit: 4, toUser: nil, toUnitActive: true) }
        let manager = Caller(userID: 5, role: .salesManager, unitID: 0)
        try AssignmentPolicy.check(caller: manager, lead: lead, toUnit: 7, toUser: nil, toUnitActive: true)
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: manager, lead: lead, toUnit: 7, toUser: member, toUnitActive: true) }
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: manager, lead: lead, toUnit: 3, toUser: (20, 3, false), toUnitActive: true) }
        var won = lead
        won.state = .won
        #expect(throws: DomainError.self) { try AssignmentPolicy.check(caller: manager, lead: won, toUnit: 3, toUser: nil, toUnitActive: true) }

        var moved = lead
        AssignmentPolicy.apply(&moved, toUnit: 4, toUser: 0, now: 99)
        #expect(moved.lastReassignedAt == 99 && moved.assignedUnitID == 4 && moved.acceptedAt == 0)
    }

    @Test("a sales manager assigns to a unit; an agent of it accepts; the unit manager reassigns within it; every step is recorded")
    func flow() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Norte", kind: .channel, active: true)), options: admin)
        let other = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Sur", kind: .channel, active: true)), options: admin)
        let (_, sales) = try await service.user("sales", role: .salesManager, admin: admin)
        let (_, boss) = try await service.user("boss", role: .unitManager, unit: unit.id, admin: admin)
        let (ana, anaOptions) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (bob, bobOptions) = try await service.user("bob", role: .agent, unit: unit.id, admin: admin)
        let leads = service.leadsClient
        let a = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Lead A")), options: sales)
        let b = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Lead B")), options: sales)

        let byAgent = await #expect(throws: RPCError.self) { try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [a.id], unitId: unit.id), options: anaOptions) }
        #expect(byAgent?.code == .permissionDenied)

        let mass = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [a.id, b.id, 999_999], unitId: unit.id, note: "north campaign"), options: sales)
        #expect(mass.assignedIds == [a.id, b.id])
        #expect(mass.failures.map(\.id) == [999_999])
        #expect(mass.failures.first?.status?.code == .notFound)

        // Both agents see the unit's unaccepted leads; Ana accepts A, which Bob then no longer sees.
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: bobOptions).totalCount == 2)
        let current = try await leads.getLead(LeadsV1.GetLeadRequest(id: a.id), options: anaOptions)
        let accepted = try await leads.acceptLead(LeadsV1.LeadActionRequest(id: a.id, version: current.version), options: anaOptions)
        #expect(accepted.assignedUserId == ana.id)
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: bobOptions).leads.map(\.id) == [b.id])

        // The unit manager moves A to Bob, but cannot send it to another unit.
        let moved = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [a.id], unitId: unit.id, userId: bob.id), options: boss)
        #expect(moved.assignedIds == [a.id])
        let away = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [b.id], unitId: other.id), options: boss)
        #expect(away.failures.first?.status?.code == .permissionDenied)
        let lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: a.id), options: admin)
        #expect(lead.assignedUserId == bob.id && lead.lastReassignedAt > 0)

        let trail = try await leads.listAssignments(LeadsV1.ListAssignmentsRequest(leadId: a.id), options: admin).assignments
        #expect(trail.map(\.toUserId) == [bob.id, 0])
        #expect(trail.last?.note == "north campaign")
        await service.stop()
    }

    @Test("rules assign new leads on create: the first matching rule, round-robin among the unit's agents")
    func rules() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Iberia", kind: .team, active: true)), options: admin)
        let (ana, _) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (bob, _) = try await service.user("bob", role: .agent, unit: unit.id, admin: admin)
        let leads = service.leadsClient
        let rule = try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: LeadsV1.AssignmentRule(
            name: "Spain round-robin", position: 1, condition: LeadsV1.RuleCondition(countries: ["es"]), unitId: unit.id, roundRobin: true, active: true)), options: admin)
        #expect(rule.condition?.countries == ["ES"])
        var assignees: [Int64] = []
        for name in ["One", "Two", "Three"] {
            assignees.append(try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name, country: "ES")), options: admin).assignedUserId)
        }
        #expect(assignees == [ana.id, bob.id, ana.id])
        let french = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Quatre", country: "FR")), options: admin)
        #expect(french.assignedUnitId == 0)
        let bad = await #expect(throws: RPCError.self) {
            try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: LeadsV1.AssignmentRule(name: "", position: -1, unitId: 0)), options: admin)
        }
        #expect(Set(bad?.violations.map(\.field) ?? []) == ["rule.name", "rule.position", "rule.unit_id"])
        await service.stop()
    }

    @Test("rules are read once per change: an edited, deactivated or deleted rule applies from the next lead; round-robin does not count as a change")
    func rulesFollowChanges() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let directory = service.directory
        let iberia = try await directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Iberia", kind: .team, active: true)), options: admin)
        let north = try await directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "North", kind: .team, active: true)), options: admin)
        _ = try await service.user("ana", role: .agent, unit: iberia.id, admin: admin)
        _ = try await service.user("bob", role: .agent, unit: iberia.id, admin: admin)
        let leads = service.leadsClient
        func unitOfNewLead(_ name: String) async throws -> Int64 {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name, country: "ES")), options: admin).assignedUnitId
        }
        func generation() async throws -> Int64? {
            try await service.leads.database.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM config_generation") }
        }
        var rule = try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: LeadsV1.AssignmentRule(
            name: "Spain", position: 1, condition: LeadsV1.RuleCondition(countries: ["ES"]), unitId: iberia.id, roundRobin: true, active: true)), options: admin)
        #expect(try await unitOfNewLead("One") == iberia.id)
        let before = try await generation()
        #expect(try await unitOfNewLead("Two") == iberia.id)  // moves the round-robin cursor only
        #expect(try await generation() == before)

        rule.unitId = north.id
        rule.roundRobin = false
        rule = try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: rule), options: admin)
        #expect(try await generation() != before)
        #expect(try await unitOfNewLead("Three") == north.id)
        rule.active = false
        rule = try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: rule), options: admin)
        #expect(try await unitOfNewLead("Four") == 0)
        rule.active = true
        rule = try await leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: rule), options: admin)
        #expect(try await unitOfNewLead("Five") == north.id)
        _ = try await leads.deleteAssignmentRule(LeadsV1.DeleteAssignmentRuleRequest(id: rule.id, version: rule.version), options: admin)
        #expect(try await unitOfNewLead("Six") == 0)
        await service.stop()
    }

    @Test("a lead assigned to an agent is unread until they open it; a manager opening it does not count; reassigning it back makes it unread again")
    func unread() async throws {
        let ticks = Mutex<Int64>(1_800_000_000_000)
        // Every reading of the clock is a millisecond later, so that each step is after the last.
        let service = try await TestLeadsService.start(clock: WallClock { ticks.withLock { $0 += 1; return $0 } })
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Norte", kind: .channel, active: true)), options: admin)
        let (ana, anaOptions) = try await service.user("ana", role: .agent, unit: unit.id, admin: admin)
        let (bob, _) = try await service.user("bob", role: .agent, unit: unit.id, admin: admin)
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Cliente")), options: admin)
        func assign(to user: LeadsV1.User) async throws {
            _ = try await leads.assignLeads(LeadsV1.AssignLeadsRequest(ids: [lead.id], unitId: unit.id, userId: user.id), options: admin)
        }
        func unreadForAna() async throws -> [Int64] {
            let page = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .unread)), options: anaOptions)
            #expect(page.leads.allSatisfy { $0.unread })
            return page.leads.map(\.id)
        }
        try await assign(to: ana)
        #expect(try await unreadForAna() == [lead.id])
        _ = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin)  // not hers to read for her
        #expect(try await unreadForAna() == [lead.id])
        _ = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: anaOptions)
        #expect(try await unreadForAna() == [])
        let mine = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .mine)), options: anaOptions)
        #expect(mine.leads.map(\.unread) == [false])
        try await assign(to: bob)
        try await assign(to: ana)
        #expect(try await unreadForAna() == [lead.id])
        await service.stop()
    }
}
