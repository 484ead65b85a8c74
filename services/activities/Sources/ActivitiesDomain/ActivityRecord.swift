import CRMDomain

/// An appointment, call or meeting scheduled for a lead.
public struct ActivityRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var leadID: Int64
    public var typeID: Int64
    public var kind: ActivityKind
    public var subject: String
    public var description: String = ""
    public var startAt: Int64
    public var endAt: Int64
    public var location: String = ""
    public var assigneeID: Int64
    /// The assignee's unit when assigned (who of a unit's managers sees it).
    public var assigneeUnitID: Int64 = 0
    public var status: WorkStatus = .open
    public var outcome: String = ""
    public var closedAt: Int64 = 0
    public var version: Int64 = 1
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0
    public var updatedAt: Int64 = 0
    /// The lead as it was when scheduled.
    public var lead: LeadSummary = LeadSummary()

    public init(leadID: Int64, typeID: Int64, kind: ActivityKind, subject: String, startAt: Int64, endAt: Int64, assigneeID: Int64) {
        self.leadID = leadID
        self.typeID = typeID
        self.kind = kind
        self.subject = subject
        self.startAt = startAt
        self.endAt = endAt
        self.assigneeID = assigneeID
    }

    /// How long past its end an open activity is at `now`; 0 when it is not overdue.
    public func overdue(at now: Int64) -> Int64 {
        status == .open && endAt < now ? now - endAt : 0
    }
}

/// What an activity keeps of its lead from when it was scheduled: the number and how to reach
/// the person, so the one doing it has them at hand.
public struct LeadSummary: Sendable, Hashable {
    public var fullName: String = ""
    public var company: String = ""
    public var email: String = ""
    public var phone: String = ""

    public init(fullName: String = "", company: String = "", email: String = "", phone: String = "") {
        self.fullName = fullName
        self.company = company
        self.email = email
        self.phone = phone
    }
}
