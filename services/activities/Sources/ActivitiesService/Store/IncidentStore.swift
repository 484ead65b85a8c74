import ActivitiesDomain
import CRMDomain
import Foundation
import GRDB

enum IncidentStore {
    static func record(_ row: Row) -> IncidentRecord {
        var i = IncidentRecord(title: row["title"], assigneeID: row["assignee_id"], typeID: row["type_id"])
        i.id = row["id"]
        i.assigneeUnitID = row["assignee_unit_id"]
        i.description = row["description"]
        i.link = row["link"]
        i.startAt = row["start_at"]
        i.endAt = row["end_at"]
        i.priority = IncidentPriority(rawValue: row["priority"]) ?? .medium
        i.status = IncidentStatus(rawValue: row["status"]) ?? .new
        i.leadID = row["lead_id"]
        i.version = row["version"]
        i.createdBy = row["created_by"]
        i.createdAt = row["created_at"]
        i.updatedAt = row["updated_at"]
        return i
    }

    static func incident(_ db: Database, id: Int64) throws -> IncidentRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM incident WHERE id = ?"), arguments: [id]).map(record)
    }

    static func insert(_ db: Database, _ i: IncidentRecord) throws -> IncidentRecord {
        try db.cachedStatement(sql: """
            INSERT INTO incident (title, assignee_id, assignee_unit_id, type_id, description, link, start_at, end_at, priority,
              priority_rank, status, lead_id, version, created_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                i.title, i.assigneeID, i.assigneeUnitID, i.typeID, i.description, i.link, i.startAt, i.endAt, i.priority.rawValue,
                i.priority.rank, i.status.rawValue, i.leadID, i.version, i.createdBy, i.createdAt, i.updatedAt,
            ])
        var saved = i
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func update(_ db: Database, _ i: IncidentRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE incident SET title = ?, assignee_id = ?, assignee_unit_id = ?, type_id = ?, description = ?, link = ?,
              start_at = ?, end_at = ?, priority = ?, priority_rank = ?, status = ?, lead_id = ?, version = ?, updated_at = ?
            WHERE id = ?
            """).execute(arguments: [
                i.title, i.assigneeID, i.assigneeUnitID, i.typeID, i.description, i.link,
                i.startAt, i.endAt, i.priority.rawValue, i.priority.rank, i.status.rawValue, i.leadID, i.version, i.updatedAt, i.id,
            ])
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM incident WHERE id = ?", arguments: [id])  // attachments cascade
        try LinkStore.deleteAll(db, of: EntityReference(.incident, id))
    }
}

enum AttachmentStore {
    static func record(_ row: Row) -> AttachmentRecord {
        var a = AttachmentRecord(incidentID: row["incident_id"], fileName: row["file_name"], contentType: row["content_type"], sizeBytes: row["size_bytes"], sha256: row["sha256"])
        a.id = row["id"]
        a.createdBy = row["created_by"]
        a.createdAt = row["created_at"]
        return a
    }

    static let columns = "id, incident_id, file_name, content_type, size_bytes, sha256, created_by, created_at"

    static func attachments(_ db: Database, incidentID: Int64) throws -> [AttachmentRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(columns) FROM attachment WHERE incident_id = ? ORDER BY id"), arguments: [incidentID]).map(record)
    }

    static func attachment(_ db: Database, id: Int64) throws -> AttachmentRecord? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM attachment WHERE id = ?", arguments: [id]).map(record)
    }

    static func content(_ db: Database, id: Int64) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT content FROM attachment WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
    }

    static func insert(_ db: Database, _ a: AttachmentRecord, content: [UInt8]) throws -> AttachmentRecord {
        try db.execute(sql: """
            INSERT INTO attachment (incident_id, file_name, content_type, size_bytes, sha256, content, created_by, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [a.incidentID, a.fileName, a.contentType, a.sizeBytes, a.sha256, Data(content), a.createdBy, a.createdAt])
        var saved = a
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM attachment WHERE id = ?", arguments: [id])
    }

    /// The bytes attached to an incident so far.
    static func totalBytes(_ db: Database, incidentID: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size_bytes), 0) FROM attachment WHERE incident_id = ?", arguments: [incidentID]) ?? 0
    }
}
