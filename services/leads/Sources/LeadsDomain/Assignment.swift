import CRMDomain

/// When an assignment rule applies: every non-empty condition must match.
public struct RuleCondition: Sendable, Hashable, Codable {
    public var countries: [String] = []
    public var regions: [String] = []
    public var sourceTypeIDs: [Int64] = []
    public var campaigns: [String] = []
    public var channels: [String] = []
    public var typeIDs: [Int64] = []

    public init() {}

    public func matches(_ lead: LeadRecord) -> Bool {
        func ok<T: Equatable>(_ values: [T], _ value: T) -> Bool { values.isEmpty || values.contains(value) }
        return ok(countries, lead.country) && ok(regions.map { $0.lowercased() }, lead.region.lowercased())
            && ok(sourceTypeIDs, lead.sourceTypeID) && ok(campaigns.map { $0.lowercased() }, lead.campaign.lowercased())
            && ok(channels.map { $0.lowercased() }, lead.channel.lowercased()) && ok(typeIDs, lead.typeID)
    }
}

/// Assigns new and imported leads automatically; rules are tried in position order.
public struct AssignmentRuleRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var name: String
    public var position: Int32
    public var condition: RuleCondition
    public var unitID: Int64
    public var userID: Int64 = 0
    public var roundRobin: Bool = false
    public var active: Bool = true
    public var version: Int64 = 1

    public init(id: Int64 = 0, name: String, position: Int32, condition: RuleCondition, unitID: Int64, userID: Int64 = 0, roundRobin: Bool = false, active: Bool = true, version: Int64 = 1) {
        self.id = id
        self.name = name
        self.position = position
        self.condition = condition
        self.unitID = unitID
        self.userID = userID
        self.roundRobin = roundRobin
        self.active = active
        self.version = version
    }
}

/// One assignment as recorded.
public struct AssignmentRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var leadID: Int64
    public var fromUnitID: Int64
    public var fromUserID: Int64
    public var toUnitID: Int64
    public var toUserID: Int64
    public var assignedBy: Int64
    public var ruleID: Int64 = 0
    public var assignedAt: Int64
    public var note: String = ""

    public init(id: Int64 = 0, leadID: Int64, fromUnitID: Int64, fromUserID: Int64, toUnitID: Int64, toUserID: Int64, assignedBy: Int64, ruleID: Int64 = 0, assignedAt: Int64, note: String = "") {
        self.id = id
        self.leadID = leadID
        self.fromUnitID = fromUnitID
        self.fromUserID = fromUserID
        self.toUnitID = toUnitID
        self.toUserID = toUserID
        self.assignedBy = assignedBy
        self.ruleID = ruleID
        self.assignedAt = assignedAt
        self.note = note
    }
}

/// Seed 002's reassignment rules: sales managers (and admins) assign to units and channels;
/// unit managers assign their own unit's leads to its members; agents never assign.
public enum AssignmentPolicy {
    /// Checks one assignment; `targetUser` is the user assigned to (nil for none) with their unit.
    public static func check(
        caller: Caller, lead: LeadRecord, toUnit: Int64, toUser: (id: Int64, unitID: Int64, active: Bool)?, toUnitActive: Bool
    ) throws(DomainError) {
        switch caller.role {
        case .agent, .service:
            throw DomainError.permissionDenied("agents cannot assign or reassign leads")
        case .unitManager:
            guard caller.unitID != 0, lead.assignedUnitID == caller.unitID else {
                throw DomainError.permissionDenied("a unit manager reassigns only the leads of their own unit")
            }
            guard toUnit == caller.unitID else {
                throw DomainError.permissionDenied("a unit manager assigns only within their own unit")
            }
        case .salesManager, .admin:
            break
        }
        if toUnit != 0 && !toUnitActive { throw DomainError.failedPrecondition("unit \(toUnit) is deactivated") }
        if let user = toUser {
            guard user.active else { throw DomainError.failedPrecondition("user \(user.id) is deactivated") }
            guard toUnit == 0 || user.unitID == toUnit else {
                throw DomainError.invalid([Violation("user_id", "user \(user.id) is not a member of unit \(toUnit)")])
            }
        }
        if lead.state.isFinal { throw DomainError.failedPrecondition("a \(lead.state.rawValue) lead is not reassigned") }
    }

    /// Applies an assignment to the lead; a lead that had an assignment counts as reassigned.
    /// Given to another user, the lead's team starts afresh: those who worked it with the last
    /// assignee stop seeing it (the new assignee may add them back).
    public static func apply(_ lead: inout LeadRecord, toUnit: Int64, toUser: Int64, now: Int64) {
        if lead.assignedUnitID != 0 || lead.assignedUserID != 0 { lead.lastReassignedAt = now }
        if toUser != lead.assignedUserID && lead.assignedUserID != 0 { lead.teamUserIDs = [] }
        lead.assignedUnitID = toUnit
        lead.assignedUserID = toUser
        lead.acceptedAt = toUser != 0 ? now : 0
    }

    /// Rule checks that need no database.
    public static func check(_ rule: AssignmentRuleRecord, prefix p: String, into v: inout Violations) {
        TextRules.check(rule.name, field: "\(p).name", required: true, max: 100, into: &v)
        if rule.position < 0 { v.add("\(p).position", "must be 1 or more, or 0 to put the rule last") }
        if rule.unitID <= 0 { v.add("\(p).unit_id", "must name the unit the rule assigns to") }
        if rule.roundRobin && rule.userID != 0 { v.add("\(p).user_id", "must be 0 when the rule assigns round-robin") }
        let c = rule.condition
        if [c.countries.count, c.regions.count, c.sourceTypeIDs.count, c.campaigns.count, c.channels.count, c.typeIDs.count].contains(where: { $0 > 100 }) {
            v.add("\(p).condition", "lists at most 100 values per condition")
        }
    }
}
