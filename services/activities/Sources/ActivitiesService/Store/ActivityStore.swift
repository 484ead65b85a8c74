import ActivitiesDomain
import CRMDomain
import CRMService
import GRDB

enum ActivityStore {
    static func record(_ row: Row) -> ActivityRecord {
        var a = ActivityRecord(
            leadID: row["lead_id"], typeID: row["type_id"], kind: ActivityKind(rawValue: row["kind"]) ?? .other,
            subject: row["subject"], startAt: row["start_at"], endAt: row["end_at"], assigneeID: row["assignee_id"])
        a.id = row["id"]
        a.description = row["description"]
        a.location = row["location"]
        a.assigneeUnitID = row["assignee_unit_id"]
        a.status = WorkStatus(rawValue: row["status"]) ?? .open
        a.outcome = row["outcome"]
        a.closedAt = row["closed_at"]
        a.version = row["version"]
        a.createdBy = row["created_by"]
        a.createdAt = row["created_at"]
        a.updatedAt = row["updated_at"]
        a.lead = LeadSummary(fullName: row["lead_full_name"], company: row["lead_company"], email: row["lead_email"], phone: row["lead_phone"])
        return a
    }

    static func activity(_ db: Database, id: Int64) throws -> ActivityRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM activity WHERE id = ?"), arguments: [id]).map(record)
    }

    static func insert(_ db: Database, _ a: ActivityRecord) throws -> ActivityRecord {
        try db.cachedStatement(sql: """
            INSERT INTO activity (lead_id, type_id, kind, subject, description, start_at, end_at, location, assignee_id,
              assignee_unit_id, status, outcome, closed_at, version, created_by, created_at, updated_at,
              lead_full_name, lead_company, lead_email, lead_phone)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                a.leadID, a.typeID, a.kind.rawValue, a.subject, a.description, a.startAt, a.endAt, a.location, a.assigneeID,
                a.assigneeUnitID, a.status.rawValue, a.outcome, a.closedAt, a.version, a.createdBy, a.createdAt, a.updatedAt,
                a.lead.fullName, a.lead.company, a.lead.email, a.lead.phone,
            ])
        var saved = a
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func update(_ db: Database, _ a: ActivityRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE activity SET type_id = ?, kind = ?, subject = ?, description = ?, start_at = ?, end_at = ?, location = ?,
              assignee_id = ?, assignee_unit_id = ?, status = ?, outcome = ?, closed_at = ?, version = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                a.typeID, a.kind.rawValue, a.subject, a.description, a.startAt, a.endAt, a.location,
                a.assigneeID, a.assigneeUnitID, a.status.rawValue, a.outcome, a.closedAt, a.version, a.updatedAt, a.id,
            ])
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM activity WHERE id = ?", arguments: [id])
        try LinkStore.deleteAll(db, of: EntityReference(.activity, id))
    }
}
