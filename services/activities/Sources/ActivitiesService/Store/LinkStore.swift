import ActivitiesDomain
import CRMDomain
import GRDB

enum LinkStore {
    static func record(_ row: Row) -> LinkRecord {
        var link = LinkRecord(
            EntityReference(WorkEntity(rawValue: row["a_kind"]) ?? .lead, row["a_id"]),
            EntityReference(WorkEntity(rawValue: row["b_kind"]) ?? .lead, row["b_id"]))
        link.id = row["id"]
        link.createdBy = row["created_by"]
        link.createdAt = row["created_at"]
        return link
    }

    static func link(_ db: Database, id: Int64) throws -> LinkRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM link WHERE id = ?", arguments: [id]).map(record)
    }

    /// Inserts a link; ALREADY_EXISTS when the two are linked already.
    static func insert(_ db: Database, _ link: LinkRecord) throws -> LinkRecord {
        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM link WHERE a_kind = ? AND a_id = ? AND b_kind = ? AND b_id = ?",
                                             arguments: [link.a.kind.rawValue, link.a.id, link.b.kind.rawValue, link.b.id]) {
            throw DomainError.alreadyExists("\(link.a.kind.rawValue) \(link.a.id) and \(link.b.kind.rawValue) \(link.b.id) are already linked (link \(existing))", existing: [Existing("link", id: existing, field: "", value: "")])
        }
        try db.execute(sql: "INSERT INTO link (a_kind, a_id, b_kind, b_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [link.a.kind.rawValue, link.a.id, link.b.kind.rawValue, link.b.id, link.createdBy, link.createdAt])
        var saved = link
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM link WHERE id = ?", arguments: [id])
    }

    /// The links with `entity` at either end, oldest first.
    static func links(_ db: Database, of entity: EntityReference) throws -> [LinkRecord] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM link WHERE (a_kind = ? AND a_id = ?) OR (b_kind = ? AND b_id = ?) ORDER BY id
            """, arguments: [entity.kind.rawValue, entity.id, entity.kind.rawValue, entity.id]).map(record)
    }

    /// Removes every link of an entity that is being deleted.
    static func deleteAll(_ db: Database, of entity: EntityReference) throws {
        try db.execute(sql: "DELETE FROM link WHERE (a_kind = ? AND a_id = ?) OR (b_kind = ? AND b_id = ?)",
                       arguments: [entity.kind.rawValue, entity.id, entity.kind.rawValue, entity.id])
    }

    /// The ids of the tasks linked to an incident.
    static func taskIDs(linkedTo incidentID: Int64) -> (sql: String, arguments: StatementArguments) {
        ("""
         id IN (SELECT b_id FROM link WHERE a_kind = 'incident' AND a_id = ? AND b_kind = 'task'
                UNION SELECT a_id FROM link WHERE b_kind = 'incident' AND b_id = ? AND a_kind = 'task')
         """, [incidentID, incidentID])
    }
}
