import CRMDomain
import Foundation

/// A lead, as the domain sees it.
public struct LeadRecord: Sendable, Hashable {
    public struct Money: Sendable, Hashable, Codable {
        public var amountMinor: Int64
        public var currency: String

        public init(amountMinor: Int64, currency: String) {
            self.amountMinor = amountMinor
            self.currency = currency
        }
    }

    public struct Product: Sendable, Hashable, Codable {
        public var product: String
        public var quantity: Int32
        public var notes: String

        public init(product: String, quantity: Int32, notes: String) {
            self.product = product
            self.quantity = quantity
            self.notes = notes
        }
    }

    /// A custom field's value, typed as its definition says.
    public enum CustomValue: Sendable, Hashable, Codable {
        case text(String)
        case integer(Int64)
        case decimal(String)
        case boolean(Bool)
        case date(Int64)

        /// The value `text` spells for a field of `type` (dates as ISO 8601 or Unix ms), or nil.
        public static func parse(_ text: String, as type: CustomFieldType) -> CustomValue? {
            let t = text.trimmingSpaces
            switch type {
            case .text, .choice: return .text(t)
            case .integer: return Int64(t).map(CustomValue.integer)
            case .decimal:
                guard t.range(of: "^-?[0-9]{1,15}(\\.[0-9]{1,6})?$", options: .regularExpression) != nil else { return nil }
                return .decimal(t)
            case .boolean:
                switch t.lowercased() {
                case "true", "yes", "1", "sí", "si": return .boolean(true)
                case "false", "no", "0": return .boolean(false)
                default: return nil
                }
            case .date: return Timestamp.parse(t).map(CustomValue.date)
            }
        }

        /// The value as history and CSV show it.
        public var display: String {
            switch self {
            case .text(let v), .decimal(let v): return v
            case .integer(let v), .date(let v): return String(v)
            case .boolean(let v): return v ? "true" : "false"
            }
        }
    }

    public var id: Int64 = 0
    public var fullName = ""
    public var company = ""
    public var emails: [String] = []
    public var phones: [String] = []
    public var login = ""
    public var partner = ""
    public var location = ""
    public var country = ""
    public var region = ""
    public var province = ""
    public var postalCode = ""
    public var locale = ""
    public var campaign = ""
    public var channel = ""
    public var sourceTypeID: Int64 = 0
    public var source = ""
    public var typeID: Int64 = 0
    public var categoryID: Int64 = 0
    public var statusID: Int64 = 0
    public var state: LifecycleState = .pending
    public var priority: Int32 = 0
    public var importance: Int32 = 0
    public var probability: Int32 = 0
    public var targetAmount: Money? = nil
    public var score: Int32 = 0
    public var ownerID: Int64 = 0
    public var assignedUnitID: Int64 = 0
    public var assignedUserID: Int64 = 0
    public var teamUserIDs: [Int64] = []
    public var competitorIDs: [Int64] = []
    public var products: [Product] = []
    public var lastContactedAt: Int64 = 0
    public var contactOn: Int64 = 0
    public var startedAt: Int64 = 0
    public var expectedCompletionAt: Int64 = 0
    public var completedAt: Int64 = 0
    public var lostReasonID: Int64 = 0
    public var lostToCompetitorID: Int64 = 0
    public var customFields: [String: CustomValue] = [:]
    public var acceptedAt: Int64 = 0
    public var imported = false
    public var lastReassignedAt: Int64 = 0
    public var mergedIntoID: Int64 = 0
    public var conversion = ConversionLinks()
    public var version: Int64 = 1
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0
    public var updatedBy: Int64 = 0
    public var updatedAt: Int64 = 0

    public init() {}

    /// Expected completion minus now (open) or minus completion (closed); negative once late.
    public func timeToCompletion(now: Int64) -> Int64 {
        guard expectedCompletionAt > 0 else { return 0 }
        return expectedCompletionAt - (state.isFinal ? completedAt : now)
    }

    /// Optimistic concurrency: the caller must have read the lead's current version.
    public func requireVersion(_ version: Int64) throws(DomainError) {
        guard self.version == version else {
            throw DomainError.stale("lead \(id) is at version \(self.version), not \(version): read it again")
        }
    }

    /// How long an open lead is past its expected completion; 0 when it is not.
    public func timeOverdue(now: Int64) -> Int64 {
        guard !state.isFinal, expectedCompletionAt > 0, now > expectedCompletionAt else { return 0 }
        return now - expectedCompletionAt
    }
}

/// Who may see and change which leads (docs/ARCHITECTURE.md, security).
public enum LeadAccess {
    /// An agent sees their own leads and the unaccepted leads of their unit; a unit manager the
    /// leads of their unit: assigned to it, or owned by or assigned to one of its members
    /// (`unitMembers`, the users of the caller's unit); sales managers, admins and services all.
    /// A lead one may not see is NOT_FOUND.
    public static func canSee(_ caller: Caller, _ lead: LeadRecord, unitMembers: Set<Int64> = []) -> Bool {
        if caller.role.seesAllLeads { return true }
        if lead.ownerID == caller.userID || lead.assignedUserID == caller.userID || lead.teamUserIDs.contains(caller.userID) { return true }
        guard caller.unitID != 0 else { return false }
        if caller.role == .unitManager {
            return lead.assignedUnitID == caller.unitID || unitMembers.contains(lead.ownerID) || unitMembers.contains(lead.assignedUserID)
        }
        return lead.assignedUnitID == caller.unitID && lead.assignedUserID == 0
    }

    /// Who may change a lead's team: managers who see it (a unit manager, her unit's leads), its
    /// owner and its assignee. Not an agent who only sees it as an unaccepted lead of their unit,
    /// nor a member of the team: a team is the assignee's to share, and a reassignment to another
    /// user starts it afresh (`Assignment.apply`), so what an agent sees follows the assignment.
    public static func canChangeTeam(_ caller: Caller, _ lead: LeadRecord, unitMembers: Set<Int64> = []) -> Bool {
        if caller.role.seesAllLeads || lead.ownerID == caller.userID || lead.assignedUserID == caller.userID { return true }
        return caller.role == .unitManager && canSee(caller, lead, unitMembers: unitMembers)
    }

    public static func requireVisible(_ caller: Caller, _ lead: LeadRecord?, id: Int64, unitMembers: Set<Int64> = []) throws(DomainError) -> LeadRecord {
        guard let lead, LeadAccess.canSee(caller, lead, unitMembers: unitMembers) else { throw DomainError.notFound("no lead with id \(id)") }
        return lead
    }

    /// The unit view is the caller's unit's leads: without a unit there is none to show (and
    /// showing every unassigned lead instead would be a wrong answer).
    public static func check(_ view: LeadQuery.View, for caller: Caller, into v: inout Violations) {
        if view == .unit && caller.unitID == 0 {
            v.add("filter.view", "the unit view needs a unit, and you belong to none: ask an admin to put you in one, or use another view")
        }
    }

    /// Whether deciding what `caller` sees needs the members of their unit.
    public static func needsUnitMembers(_ caller: Caller) -> Bool {
        caller.role == .unitManager && caller.unitID != 0
    }
}
