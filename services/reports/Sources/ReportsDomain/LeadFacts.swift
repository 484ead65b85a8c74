import CRMDomain

/// What the maintained aggregates need to know of one lead: the read model keeps these beside
/// the full row, so that applying a change is "take the old facts out, put the new ones in".
public struct LeadFacts: Sendable, Hashable {
    public var typeID: Int64
    public var statusID: Int64
    public var state: LifecycleState
    /// The target amount in minor units, and its ISO 4217 code ("" when there is none).
    public var amountMinor: Int64
    public var currency: String
    /// 0-100.
    public var probability: Int32
    public var sourceTypeID: Int64
    public var campaign: String
    public var ownerID: Int64
    public var assignedUserID: Int64
    public var createdAt: Int64
    /// When it is expected to complete (0: no date).
    public var expectedCompletionAt: Int64

    public init(typeID: Int64, statusID: Int64, state: LifecycleState, amountMinor: Int64 = 0, currency: String = "", probability: Int32 = 0,
                sourceTypeID: Int64 = 0, campaign: String = "", ownerID: Int64 = 0, assignedUserID: Int64 = 0, createdAt: Int64 = 0,
                expectedCompletionAt: Int64 = 0) {
        self.expectedCompletionAt = expectedCompletionAt
        self.typeID = typeID
        self.statusID = statusID
        self.state = state
        self.amountMinor = amountMinor
        self.currency = currency
        self.probability = probability
        self.sourceTypeID = sourceTypeID
        self.campaign = campaign
        self.ownerID = ownerID
        self.assignedUserID = assignedUserID
        self.createdAt = createdAt
    }

    /// The user whose workload an open lead counts in: the assignee, or the owner while nobody is assigned.
    public var responsibleUserID: Int64 { assignedUserID != 0 ? assignedUserID : ownerID }

    /// The target amount weighted by the probability, in minor units (rounded half away from zero).
    public var weightedMinor: Int64 {
        let product = amountMinor * Int64(max(0, min(100, probability)))
        return (product + (product >= 0 ? 50 : -50)) / 100
    }

    /// The day (UTC, days since 1970) the lead was created, the conversion buckets' key.
    public var createdDay: Int64 { Day.of(createdAt) }
}

/// Whole UTC days since 1970, the buckets that let a report over a created range add up days
/// instead of scanning leads.
public enum Day {
    public static let millis: Int64 = 86_400_000

    public static func of(_ instant: Int64) -> Int64 {
        instant >= 0 ? instant / millis : (instant - millis + 1) / millis
    }

    /// The days a half-open range [from, to) covers exactly, or nil when an end is not at midnight
    /// UTC (then the buckets cannot answer it and the rows are counted instead). 0 leaves a side open.
    public static func exactSpan(from: Int64, to: Int64) -> (first: Int64?, last: Int64?)? {
        guard from % millis == 0, to % millis == 0 else { return nil }
        return (from == 0 ? nil : from / millis, to == 0 ? nil : to / millis - 1)
    }
}
