import LeadsDomain
import Foundation
import GRDB

/// Web forms in SQL; a form's fields are one JSON array, read and written whole.
enum FormStore {
    static func all(_ db: Database, activeOnly: Bool = false) throws -> [WebFormRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM web_form \(activeOnly ? "WHERE active" : "") ORDER BY id").map(record)
    }

    static func form(_ db: Database, id: Int64) throws -> WebFormRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM web_form WHERE id = ?", arguments: [id]).map(record)
    }

    static func form(_ db: Database, publicID: String) throws -> WebFormRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM web_form WHERE public_id = ?"), arguments: [publicID]).map(record)
    }

    /// Inserts a new form (id 0) or writes over the stored one at `form.version - 1`.
    static func save(_ db: Database, _ form: WebFormRecord) throws -> Int64 {
        let fields = String(decoding: (try? JSONEncoder().encode(form.fields)) ?? Data("[]".utf8), as: UTF8.self)
        let values: StatementArguments = [
            form.publicID, form.name, fields, form.typeID, form.sourceTypeID, form.source, form.campaign, form.channel, form.ownerID,
            form.redirectURL, form.hostedPage, form.minFillSeconds, form.active, form.version, form.createdAt, form.updatedAt,
        ]
        let columns = "public_id, name, fields, type_id, source_type_id, source, campaign, channel, owner_id, redirect_url, hosted_page, min_fill_seconds, active, version, created_at, updated_at"
        if form.id == 0 {
            try db.execute(sql: "INSERT INTO web_form (\(columns)) VALUES (\(Array(repeating: "?", count: 16).joined(separator: ", ")))", arguments: values)
            return db.lastInsertedRowID
        }
        let assignments = columns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }.joined(separator: ", ")
        try db.execute(sql: "UPDATE web_form SET \(assignments) WHERE id = ? AND version = ?", arguments: values + [form.id, form.version - 1])
        return form.id
    }

    private static func record(_ row: Row) -> WebFormRecord {
        var form = WebFormRecord(publicID: row["public_id"], name: row["name"],
                                 fields: (try? JSONDecoder().decode([WebFormRecord.Field].self, from: Data((row["fields"] as String).utf8))) ?? [])
        form.id = row["id"]
        form.typeID = row["type_id"]
        form.sourceTypeID = row["source_type_id"]
        form.source = row["source"]
        form.campaign = row["campaign"]
        form.channel = row["channel"]
        form.ownerID = row["owner_id"]
        form.redirectURL = row["redirect_url"]
        form.hostedPage = row["hosted_page"]
        form.minFillSeconds = row["min_fill_seconds"]
        form.active = row["active"]
        form.version = row["version"]
        form.createdAt = row["created_at"]
        form.updatedAt = row["updated_at"]
        return form
    }
}
