import CRMDomain
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Lead life cycle, visibility and field rules", .timeLimit(.minutes(3)))
struct LeadLifecycleTests {
    let config = DefaultConfiguration.value
    let day: Int64 = 86_400_000
    let agent = Caller(userID: 10, role: .agent, unitID: 3)

    func newLead(at now: Int64 = 1_000_000) -> LeadRecord {
        var lead = LeadRecord()
        lead.id = 1
        lead.fullName = "Ana"
        LeadLifecycle(configuration: config, now: now).prepareNew(&lead, caller: agent)
        return lead
    }

    @Test("a new lead takes the default type, its initial PENDING status, defaults and an expected completion")
    func prepareNew() {
        let lead = newLead()
        #expect(lead.typeID == 1 && lead.statusID == 1 && lead.state == .pending)
        #expect(lead.priority == 5 && lead.importance == 4)
        #expect(lead.expectedCompletionAt == 1_000_000 + 30 * day)
        #expect(lead.ownerID == 10 && lead.version == 1)
    }

    @Test("status edits stay within a state along the type's transitions")
    func statusChanges() throws {
        var lead = newLead()
        let life = LeadLifecycle(configuration: config, now: 2_000_000)
        try life.changeStatus(&lead, to: 2)
        #expect(lead.statusID == 2)
        #expect(throws: DomainError.self) { try life.changeStatus(&lead, to: 3) }  // into IN_PROGRESS: an action, not an edit
        try life.changeStatus(&lead, to: 1)
        #expect(throws: DomainError.self) { try life.changeStatus(&lead, to: 99) }
    }

    @Test("start, win, lose and cancel move between states only from the right ones")
    func actions() throws {
        let life = LeadLifecycle(configuration: config, now: 5_000_000)
        var lead = newLead()
        #expect(throws: DomainError.self) { try life.win(&lead, statusID: 0) }  // still PENDING
        try life.startProgress(&lead)
        #expect(lead.state == .inProgress && lead.statusID == 3 && lead.startedAt == 5_000_000)
        #expect(throws: DomainError.self) { try life.startProgress(&lead) }
        var won = lead
        try life.win(&won, statusID: 0)
        #expect(won.state == .won && won.statusID == 6 && won.completedAt == 5_000_000)
        #expect(throws: DomainError.self) { try life.cancel(&won, reason: "late") }

        var lost = lead
        #expect(throws: DomainError.invalid([Violation("lost_reason_id", "must be one of the lost reasons")])) {
            try life.lose(&lost, reasonID: 1, competitorID: 0, statusID: 0)  // 1 is a category
        }
        try life.lose(&lost, reasonID: 5, competitorID: 9, statusID: 0)
        #expect(lost.state == .lost && lost.lostReasonID == 5 && lost.lostToCompetitorID == 9)

        var cancelled = newLead()
        #expect(throws: DomainError.self) { try life.cancel(&cancelled, reason: "  ") }
        try life.cancel(&cancelled, reason: "duplicate entry")
        #expect(cancelled.state == .cancelled)
    }

    @Test("accept: only a member of the assigned unit, only once")
    func accept() throws {
        let life = LeadLifecycle(configuration: config, now: 7)
        var lead = newLead()
        #expect(throws: DomainError.self) { try life.accept(&lead, caller: agent) }  // not assigned to a unit
        lead.assignedUnitID = 3
        try life.accept(&lead, caller: agent)
        #expect(lead.assignedUserID == 10 && lead.acceptedAt == 7)
        #expect(throws: DomainError.self) { try life.accept(&lead, caller: Caller(userID: 11, role: .agent, unitID: 3)) }
    }

    @Test("delete: PENDING only, except a sales manager's imported, never reassigned lead after 60 days")
    func sixtyDayRule() throws {
        let created: Int64 = 1_000_000
        var lead = newLead(at: created)
        try life(at: created).startProgress(&lead)
        lead.imported = true
        let manager = Caller(userID: 2, role: .salesManager, unitID: 0)
        #expect(throws: DomainError.self) { try life(at: created + 59 * day).checkDelete(lead, caller: manager) }
        try life(at: created + 60 * day).checkDelete(lead, caller: manager)
        #expect(throws: DomainError.self) { try life(at: created + 60 * day).checkDelete(lead, caller: agent) }
        var reassigned = lead
        reassigned.lastReassignedAt = created + day
        #expect(throws: DomainError.self) { try life(at: created + 90 * day).checkDelete(reassigned, caller: manager) }
        // A PENDING lead: its owner (or any manager) may delete it.
        try life(at: created).checkDelete(newLead(at: created), caller: agent)
        #expect(throws: DomainError.self) { try life(at: created).checkDelete(newLead(at: created), caller: Caller(userID: 99, role: .agent, unitID: 0)) }
    }

    func life(at now: Int64) -> LeadLifecycle { LeadLifecycle(configuration: config, now: now) }

    @Test("visibility: agents their own and their unit's unaccepted leads; unit managers their unit's; managers all")
    func visibility() {
        var lead = newLead()
        lead.ownerID = 50
        lead.assignedUnitID = 3
        #expect(LeadAccess.canSee(agent, lead))  // unaccepted in the agent's unit
        lead.assignedUserID = 51
        #expect(!LeadAccess.canSee(agent, lead))  // accepted by a colleague
        #expect(LeadAccess.canSee(Caller(userID: 60, role: .unitManager, unitID: 3), lead))
        #expect(!LeadAccess.canSee(Caller(userID: 60, role: .unitManager, unitID: 4), lead))
        #expect(LeadAccess.canSee(Caller(userID: 1, role: .salesManager, unitID: 0), lead))
        lead.teamUserIDs = [10]
        #expect(LeadAccess.canSee(agent, lead))
    }

    @Test("fields are normalised (e-mails, E.164 phones, country) and each bad one is named")
    func fields() {
        var lead = newLead()
        lead.country = "es"
        lead.emails = [" Ana@Example.COM ", "ana@example.com"]
        lead.phones = ["600 111 222", "+34-600-111-222", "0034 911 222 333"]
        lead.customFields = ["cups": .text("ES0021000000000001AB")]
        lead.typeID = 2
        var v = Violations()
        LeadRules(configuration: config).check(&lead, prefix: "lead", creating: true, into: &v)
        #expect(v.all.isEmpty, "\(v.all)")
        #expect(lead.country == "ES")
        #expect(lead.emails == ["ana@example.com"])
        #expect(lead.phones == ["+34600111222", "+34911222333"])

        var bad = newLead()
        bad.fullName = ""
        bad.emails = ["nope"]
        bad.phones = ["12"]
        bad.country = "Spain"
        bad.priority = 11
        bad.probability = 101
        bad.customFields = ["cups": .text("XX"), "tariff": .text("9.9TD"), "unknown": .integer(1)]
        bad.typeID = 2
        var w = Violations()
        LeadRules(configuration: config).check(&bad, prefix: "lead", creating: true, into: &w)
        #expect(Set(w.all.map(\.field)) == [
            "lead.full_name", "lead.emails[0]", "lead.phones[0]", "lead.country", "lead.priority", "lead.probability",
            "lead.custom_fields.cups", "lead.custom_fields.tariff", "lead.custom_fields.unknown",
        ])
    }
}
