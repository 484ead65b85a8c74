import CRMWire
import GRDB
import ReportsDomain

/// Activities, tasks and incidents as the reports need them: who has what open, by type, status
/// and priority, and each lead's count of open activities and tasks.
enum WorkItemStore {
    struct Item {
        var facts: WorkFacts
        var id: Int64
        var leadID: Int64
        var dueAt: Int64
    }

    static func put(_ db: Database, _ item: Item) throws {
        let old = try stored(db, kind: item.facts.kind, id: item.id)
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO work_item (kind, id, lead_id, type_id, status, is_open, assignee_id, due_at, priority, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [item.facts.kind.rawValue, item.id, item.leadID, item.facts.typeID, item.facts.status, item.facts.isOpen,
                             item.facts.assigneeID, item.dueAt, item.facts.priority, item.facts.createdAt])
        try AggregateStore.apply(db, Contribution.changes(from: old.map { Contribution.of($0.facts) } ?? [], to: Contribution.of(item.facts)))
        try LeadRowStore.recountOpenWork(db, leadID: item.leadID)
        if let old, old.leadID != item.leadID { try LeadRowStore.recountOpenWork(db, leadID: old.leadID) }
    }

    static func remove(_ db: Database, kind: WorkFacts.Kind, id: Int64) throws {
        guard let old = try stored(db, kind: kind, id: id) else { return }
        try db.cachedStatement(sql: "DELETE FROM work_item WHERE kind = ? AND id = ?").execute(arguments: [kind.rawValue, id])
        try AggregateStore.apply(db, Contribution.changes(from: Contribution.of(old.facts), to: []))
        try LeadRowStore.recountOpenWork(db, leadID: old.leadID)
    }

    private static func stored(_ db: Database, kind: WorkFacts.Kind, id: Int64) throws -> Item? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT lead_id, type_id, status, is_open, assignee_id, due_at, priority, created_at FROM work_item WHERE kind = ? AND id = ?
            """), arguments: [kind.rawValue, id]) else { return nil }
        return Item(facts: WorkFacts(kind: kind, typeID: row[1], status: row[2], isOpen: row[3], assigneeID: row[4], priority: row[6], createdAt: row[7]),
                    id: id, leadID: row[0], dueAt: row[5])
    }
}

extension WorkItemStore.Item {
    init(_ activity: ActivitiesV1.Activity) {
        self.init(facts: WorkFacts(kind: .activity, typeID: activity.typeId, status: activity.status.reportName, isOpen: activity.status == .open,
                                   assigneeID: activity.assigneeId, createdAt: activity.createdAt),
                  id: activity.id, leadID: activity.leadId, dueAt: activity.startAt)
    }

    init(_ task: ActivitiesV1.Task) {
        self.init(facts: WorkFacts(kind: .task, typeID: task.typeId, status: task.status.reportName, isOpen: task.status == .open,
                                   assigneeID: task.assigneeId, createdAt: task.createdAt),
                  id: task.id, leadID: task.leadId, dueAt: task.dueAt)
    }

    init(_ incident: ActivitiesV1.Incident) {
        let open = incident.status != .completed && incident.status != .closed
        self.init(facts: WorkFacts(kind: .incident, typeID: incident.typeId, status: incident.status.reportName, isOpen: open,
                                   assigneeID: incident.assigneeId, priority: incident.priority.reportName, createdAt: incident.createdAt),
                  id: incident.id, leadID: incident.leadId, dueAt: incident.endAt)
    }
}

extension ActivitiesV1.WorkStatus {
    var reportName: String {
        switch self {
        case .open: "open"
        case .completed: "completed"
        case .cancelled: "cancelled"
        default: "unspecified"
        }
    }
}

extension ActivitiesV1.IncidentStatus {
    var reportName: String {
        switch self {
        case .new: "new"
        case .notStarted: "not_started"
        case .inProgress: "in_progress"
        case .waiting: "waiting"
        case .postponed: "postponed"
        case .completed: "completed"
        case .closed: "closed"
        default: "unspecified"
        }
    }
}

extension ActivitiesV1.IncidentPriority {
    var reportName: String {
        switch self {
        case .high: "high"
        case .medium: "medium"
        case .low: "low"
        default: "unspecified"
        }
    }
}
