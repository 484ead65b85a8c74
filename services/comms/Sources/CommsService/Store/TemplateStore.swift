import CRMDomain
import CommsDomain
import GRDB

/// A stored template.
struct TemplateRecord: Sendable, Hashable {
    var id: Int64 = 0
    var name: String
    var subject: String
    var body: String
    var bodyKind: BodyKind
    var tags: [String]
    var active: Bool
    var version: Int64 = 1
    var createdBy: Int64 = 0
    var createdAt: Int64 = 0
    var updatedAt: Int64 = 0
}

enum TemplateStore {
    static func record(_ row: Row) -> TemplateRecord {
        TemplateRecord(
            id: row["id"], name: row["name"], subject: row["subject"], body: row["body"], bodyKind: BodyKind(rawValue: row["body_kind"]) ?? .plain,
            tags: (row["tags"] as String).split(separator: " ").map(String.init), active: row["active"], version: row["version"],
            createdBy: row["created_by"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    static func template(_ db: Database, id: Int64) throws -> TemplateRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM template WHERE id = ?"), arguments: [id]).map(record)
    }

    static func requireUnique(_ db: Database, name: String, except id: Int64) throws {
        if let other = try Int64.fetchOne(db, sql: "SELECT id FROM template WHERE name = ? AND id != ?", arguments: [name, id]) {
            throw DomainError.alreadyExists("a template named \"\(name)\" already exists (template \(other))", existing: [Existing("template", id: other, field: "template.name", value: name)])
        }
    }

    static func insert(_ db: Database, _ t: TemplateRecord) throws -> TemplateRecord {
        try requireUnique(db, name: t.name, except: 0)
        try db.execute(sql: """
            INSERT INTO template (name, channel, subject, body, body_kind, tags, active, version, created_by, created_at, updated_at)
            VALUES (?, 'email', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [t.name, t.subject, t.body, t.bodyKind.rawValue, t.tags.joined(separator: " "), t.active, t.version, t.createdBy, t.createdAt, t.updatedAt])
        var saved = t
        saved.id = db.lastInsertedRowID
        return saved
    }

    static func update(_ db: Database, _ t: TemplateRecord) throws {
        try requireUnique(db, name: t.name, except: t.id)
        try db.execute(sql: """
            UPDATE template SET name = ?, subject = ?, body = ?, body_kind = ?, tags = ?, active = ?, version = ?, updated_at = ? WHERE id = ?
            """, arguments: [t.name, t.subject, t.body, t.bodyKind.rawValue, t.tags.joined(separator: " "), t.active, t.version, t.updatedAt, t.id])
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM template WHERE id = ?", arguments: [id])
    }
}
