import ActivitiesDomain
import CRMDomain
import GRDB

enum TaskStore {
    static func record(_ row: Row) -> TaskRecord {
        var t = TaskRecord(title: row["title"], assigneeID: row["assignee_id"])
        t.id = row["id"]
        t.description = row["description"]
        t.typeID = row["type_id"]
        t.assigneeUnitID = row["assignee_unit_id"]
        t.dueAt = row["due_at"]
        t.status = WorkStatus(rawValue: row["status"]) ?? .open
        t.leadID = row["lead_id"]
        t.closedAt = row["closed_at"]
        t.version = row["version"]
        t.createdBy = row["created_by"]
        t.createdAt = row["created_at"]
        t.updatedAt = row["updated_at"]
        return t
    }

    static func task(_ db: Database, id: Int64) throws -> TaskRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE id = ?"), arguments: [id]).map(record)
    }

    static func insert(_ db: Database, _ t: TaskRecord) throws -> TaskRecord {
        try db.cachedStatement(sql: """
            INSERT INTO task (title, description, type_id, assignee_id, assignee_unit_id, due_at, status, lead_id, closed_at,
              version, created_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                t.title, t.description, t.typeID, t.assigneeID, t.assigneeUnitID, t.dueAt, t.status.rawValue, t.leadID, t.closedAt,
                t.version, t.createdBy, t.createdAt, t.updatedAt,
            ])
        var saved = t
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func update(_ db: Database, _ t: TaskRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE task SET title = ?, description = ?, type_id = ?, assignee_id = ?, assignee_unit_id = ?, due_at = ?,
              status = ?, lead_id = ?, closed_at = ?, version = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                t.title, t.description, t.typeID, t.assigneeID, t.assigneeUnitID, t.dueAt,
                t.status.rawValue, t.leadID, t.closedAt, t.version, t.updatedAt, t.id,
            ])
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM task WHERE id = ?", arguments: [id])
        try LinkStore.deleteAll(db, of: EntityReference(.task, id))
    }
}
