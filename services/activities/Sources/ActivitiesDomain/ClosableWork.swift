import CRMDomain

/// Work that is open until it is completed or cancelled: activities and tasks. Only open work
/// blocks its lead, and only open work changes.
public protocol ClosableWork: Sendable {
    var id: Int64 { get }
    var status: WorkStatus { get set }
    var closedAt: Int64 { get set }
    var updatedAt: Int64 { get set }
    var version: Int64 { get set }
    /// What came of it, where the kind of work keeps that (activities do).
    mutating func recordOutcome(_ outcome: String)
    /// "activity 4", "task 2".
    var reference: String { get }
}

extension ClosableWork {
    public mutating func recordOutcome(_ outcome: String) {}

    /// Completes or cancels open work at `now`; closed work stays as it was.
    public mutating func close(_ status: WorkStatus, outcome: String, at now: Int64) throws(DomainError) {
        try WorkRules.requireOpen(self.status, what: reference)
        self.status = status
        recordOutcome(outcome)
        closedAt = now
        updatedAt = now
        version += 1
    }
}

extension ActivityRecord: ClosableWork {
    public mutating func recordOutcome(_ outcome: String) { self.outcome = outcome }
    public var reference: String { "activity \(id)" }
}

extension TaskRecord: ClosableWork {
    public var reference: String { "task \(id)" }
}
