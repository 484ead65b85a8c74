/// What the work report and the workloads need to know of one activity, task or incident.
public struct WorkFacts: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case activity, task, incident
    }

    public var kind: Kind
    public var typeID: Int64
    /// The status, by its name in the contract ("open", "completed", "in_progress", ...).
    public var status: String
    /// Still to be done: an open activity or task, an incident neither completed nor closed.
    public var isOpen: Bool
    public var assigneeID: Int64
    /// "high", "medium", "low" for incidents; "" otherwise.
    public var priority: String
    public var createdAt: Int64

    public init(kind: Kind, typeID: Int64, status: String, isOpen: Bool, assigneeID: Int64, priority: String = "", createdAt: Int64) {
        self.kind = kind
        self.typeID = typeID
        self.status = status
        self.isOpen = isOpen
        self.assigneeID = assigneeID
        self.priority = priority
        self.createdAt = createdAt
    }
}
