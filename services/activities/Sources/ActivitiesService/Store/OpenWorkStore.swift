import GRDB

/// What blocks a lead from being won, lost or cancelled: its open activities and tasks, read
/// lean (id, title, time) through the (lead_id, status) indexes.
enum OpenWorkStore {
    struct Item: Sendable {
        var id: Int64
        var isTask: Bool
        var title: String
        /// An activity's end, a task's due date (0 for none).
        var at: Int64
    }

    /// Open activities soonest first, then open tasks soonest due (no due date last).
    static func open(_ db: Database, leadID: Int64) throws -> [Item] {
        let activities = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, subject, end_at FROM activity WHERE lead_id = ? AND status = 'open' ORDER BY start_at, id"),
                                          arguments: [leadID])
            .map { Item(id: $0[0], isTask: false, title: $0[1], at: $0[2]) }
        let tasks = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, title, due_at FROM task WHERE lead_id = ? AND status = 'open' ORDER BY due_at = 0, due_at, id"),
                                     arguments: [leadID])
            .map { Item(id: $0[0], isTask: true, title: $0[1], at: $0[2]) }
        return activities + tasks
    }
}
