/// A piece of work with an assignee and a due date, for a lead or not.
public struct TaskRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var title: String
    public var description: String = ""
    /// 0 for none.
    public var typeID: Int64 = 0
    public var assigneeID: Int64
    public var assigneeUnitID: Int64 = 0
    /// 0 for no due date.
    public var dueAt: Int64 = 0
    public var status: WorkStatus = .open
    /// 0 for none.
    public var leadID: Int64 = 0
    public var closedAt: Int64 = 0
    public var version: Int64 = 1
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0
    public var updatedAt: Int64 = 0

    public init(title: String, assigneeID: Int64) {
        self.title = title
        self.assigneeID = assigneeID
    }

    /// How long past its due date an open task is at `now`; 0 when not overdue or not due.
    public func overdue(at now: Int64) -> Int64 {
        status == .open && dueAt != 0 && dueAt < now ? now - dueAt : 0
    }
}
