import CRMDomain
import Foundation
import GRDB

/// Leads, their notes and history in SQL. Scalar fields are columns (filterable, sortable);
/// lists are JSON; e-mails and phones are also indexed one per row, for duplicates and search.
enum LeadStore {
    static func createTables(_ db: Database) throws {
        try db.create(table: "lead") { t in
            t.autoIncrementedPrimaryKey("id")
            for name in ["full_name", "company", "login", "partner", "location", "country", "region", "province", "postal_code",
                         "locale", "campaign", "channel", "source", "state", "emails", "phones", "team_user_ids", "competitor_ids",
                         "products", "custom_fields", "target_currency", "search_text"] {
                t.column(name, .text).notNull()
            }
            for name in ["source_type_id", "type_id", "category_id", "status_id", "priority", "importance", "probability",
                         "target_amount_minor", "score", "owner_id", "assigned_unit_id", "assigned_user_id", "last_contacted_at",
                         "contact_on", "started_at", "expected_completion_at", "completed_at", "lost_reason_id", "lost_to_competitor_id",
                         "accepted_at", "last_reassigned_at", "merged_into_id", "version", "created_by", "created_at", "updated_by", "updated_at"] {
                t.column(name, .integer).notNull()
            }
            t.column("imported", .boolean).notNull()
        }
        for columns in [["owner_id"], ["assigned_unit_id", "assigned_user_id"], ["assigned_user_id"], ["state", "expected_completion_at"],
                        ["created_at"], ["status_id"], ["country"]] {
            try db.create(index: "lead_on_" + columns.joined(separator: "_"), on: "lead", columns: columns)
        }
        try db.create(table: "lead_contact") { t in
            t.column("lead_id", .integer).notNull().references("lead", onDelete: .cascade)
            t.column("kind", .text).notNull()  // "email" or "phone"
            t.column("value", .text).notNull()
            t.primaryKey(["lead_id", "kind", "value"])
        }
        try db.create(index: "lead_contact_on_value", on: "lead_contact", columns: ["kind", "value"])
        try db.create(table: "note") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("lead_id", .integer).notNull().references("lead", onDelete: .cascade).indexed()
            t.column("author_id", .integer).notNull()
            t.column("author_name", .text).notNull()
            t.column("text", .text).notNull()
            t.column("created_at", .integer).notNull()
        }
        try db.create(table: "history") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("lead_id", .integer).notNull().indexed()  // kept after a delete: the history outlives the lead
            t.column("action", .text).notNull()
            t.column("actor_id", .integer).notNull()
            t.column("at", .integer).notNull()
            t.column("changes", .text).notNull()
            t.column("version", .integer).notNull()
            t.column("reason", .text).notNull()
        }
        try db.create(table: "lead_read") { t in
            t.column("lead_id", .integer).notNull().references("lead", onDelete: .cascade)
            t.column("user_id", .integer).notNull()
            t.column("read_at", .integer).notNull()
            t.primaryKey(["lead_id", "user_id"])
        }
    }

    // MARK: leads

    static func lead(_ db: Database, id: Int64) throws -> LeadRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM lead WHERE id = ?"), arguments: [id]).map(LeadRecord.init(row:))
    }

    static func insert(_ db: Database, _ lead: LeadRecord) throws -> LeadRecord {
        let columns = lead.columns
        let names = columns.map(\.0)
        try db.cachedStatement(sql: "INSERT INTO lead (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))")
            .execute(arguments: StatementArguments(columns.map(\.1)))
        var saved = lead
        saved.id = db.lastInsertedRowID
        try indexContacts(db, saved)
        return saved
    }

    /// Writes `lead` over the stored row, which must still be at `lead.version - 1`.
    static func update(_ db: Database, _ lead: LeadRecord) throws {
        let columns = lead.columns
        try db.cachedStatement(sql: "UPDATE lead SET \(columns.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE id = ? AND version = ?")
            .execute(arguments: StatementArguments(columns.map(\.1)) + [lead.id, lead.version - 1])
        guard db.changesCount == 1 else { throw DomainError.stale("lead \(lead.id) changed meanwhile: read it again") }
        try db.execute(sql: "DELETE FROM lead_contact WHERE lead_id = ?", arguments: [lead.id])
        try indexContacts(db, lead)
    }

    static func delete(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM lead WHERE id = ?", arguments: [id])
    }

    /// Indexes the e-mails and phones of a lead for duplicate checks; a merged lead's are not,
    /// so that only the lead it lives on in is reported.
    private static func indexContacts(_ db: Database, _ lead: LeadRecord) throws {
        guard lead.mergedIntoID == 0 else { return }
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO lead_contact (lead_id, kind, value) VALUES (?, ?, ?)")
        for email in lead.emails { try insert.execute(arguments: [lead.id, "email", email]) }
        for phone in lead.phones { try insert.execute(arguments: [lead.id, "phone", phone]) }
    }

    /// Leads other than `excluding` with one of these normalised e-mails or phones.
    static func duplicates(_ db: Database, emails: [String], phones: [String], excluding: Int64) throws -> [(leadID: Int64, kind: String, value: String)] {
        var out: [(Int64, String, String)] = []
        for (kind, values) in [("email", emails), ("phone", phones)] {
            for value in values {
                for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT lead_id FROM lead_contact WHERE kind = ? AND value = ? AND lead_id != ? ORDER BY lead_id"),
                                            arguments: [kind, value, excluding]) {
                    out.append((row["lead_id"], kind, value))
                }
            }
        }
        return out
    }

    // MARK: notes, history, read marks

    static func addNote(_ db: Database, leadID: Int64, authorID: Int64, authorName: String, text: String, at: Int64) throws -> Int64 {
        try db.execute(sql: "INSERT INTO note (lead_id, author_id, author_name, text, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [leadID, authorID, authorName, text, at])
        return db.lastInsertedRowID
    }

    struct NoteRow: Sendable {
        var id: Int64, leadID: Int64, authorID: Int64, authorName: String, text: String, createdAt: Int64
    }

    static func notes(_ db: Database, leadID: Int64, offset: Int, limit: Int) throws -> [NoteRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM note WHERE lead_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", arguments: [leadID, limit, offset]).map {
            NoteRow(id: $0["id"], leadID: $0["lead_id"], authorID: $0["author_id"], authorName: $0["author_name"], text: $0["text"], createdAt: $0["created_at"])
        }
    }

    struct HistoryRow: Sendable {
        var id: Int64, leadID: Int64, action: String, actorID: Int64, at: Int64, changes: [[String]], version: Int64, reason: String

        /// The (field, old, new) triples of a stored entry.
        static func changes(fromJSON text: String) -> [[String]] {
            let flat = JSONText.decodeStrings(text)
            if flat.isEmpty && text != "[]" {
                return JSONText.decode(text, [])  // the first format: an array of triples
            }
            return stride(from: 0, to: flat.count - flat.count % 3, by: 3).map { Array(flat[$0..<$0 + 3]) }
        }
    }

    static func addHistory(_ db: Database, leadID: Int64, action: String, actorID: Int64, at: Int64, changes: [(field: String, old: String, new: String)], version: Int64, reason: String = "") throws {
        // A flat array (field, old, new, field, old, new, ...): one hand-written encoding, no Codable.
        let encoded = JSONText.strings(changes.flatMap { [$0.field, $0.old, $0.new] })
        try db.cachedStatement(sql: "INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [leadID, action, actorID, at, encoded, version, reason])
    }

    static func history(_ db: Database, leadID: Int64, offset: Int, limit: Int) throws -> [HistoryRow] {
        try Row.fetchAll(db, sql: "SELECT * FROM history WHERE lead_id = ? ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", arguments: [leadID, limit, offset]).map {
            HistoryRow(id: $0["id"], leadID: $0["lead_id"], action: $0["action"], actorID: $0["actor_id"], at: $0["at"],
                       changes: HistoryRow.changes(fromJSON: $0["changes"]),
                       version: $0["version"], reason: $0["reason"])
        }
    }

    /// Gives lead `to` the notes of lead `from` and a copy of its history (each entry saying
    /// which lead it came from), as a merge does; `from` keeps its own history.
    static func moveNotesAndHistory(_ db: Database, from: Int64, to: Int64) throws {
        try db.execute(sql: "UPDATE note SET lead_id = ? WHERE lead_id = ?", arguments: [to, from])
        try db.execute(
            sql: """
                INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason)
                SELECT ?, action, actor_id, at, changes, version, 'lead ' || lead_id || (CASE WHEN reason = '' THEN '' ELSE ': ' || reason END)
                FROM history WHERE lead_id = ? ORDER BY id
                """,
            arguments: [to, from])
    }

    static func markRead(_ db: Database, leadID: Int64, userID: Int64, at: Int64) throws {
        try db.execute(sql: "INSERT INTO lead_read (lead_id, user_id, read_at) VALUES (?, ?, ?) ON CONFLICT (lead_id, user_id) DO UPDATE SET read_at = excluded.read_at",
                       arguments: [leadID, userID, at])
    }

    static func markUnread(_ db: Database, leadID: Int64, userID: Int64) throws {
        try db.execute(sql: "DELETE FROM lead_read WHERE lead_id = ? AND user_id = ?", arguments: [leadID, userID])
    }

    /// Whether `userID` has opened the lead since it was last assigned to them.
    static func isUnread(_ db: Database, _ lead: LeadRecord, userID: Int64) throws -> Bool {
        guard lead.assignedUserID == userID else { return false }
        let readAt = try Int64.fetchOne(db, sql: "SELECT read_at FROM lead_read WHERE lead_id = ? AND user_id = ?", arguments: [lead.id, userID])
        return (readAt ?? -1) < max(lead.acceptedAt, lead.lastReassignedAt, lead.createdAt)
    }
}

extension LeadRecord {
    /// Every column but the id, in one order for INSERT and UPDATE.
    var columns: [(String, (any DatabaseValueConvertible)?)] {
        let search = ([fullName, company] + emails + phones).joined(separator: " ").lowercased()
        return [
            ("full_name", fullName), ("company", company), ("login", login), ("partner", partner), ("location", location),
            ("country", country), ("region", region), ("province", province), ("postal_code", postalCode), ("locale", locale),
            ("campaign", campaign), ("channel", channel), ("source", source), ("state", state.rawValue), ("emails", JSONText.strings(emails)),
            ("phones", JSONText.strings(phones)), ("team_user_ids", JSONText.integers(teamUserIDs)), ("competitor_ids", JSONText.integers(competitorIDs)),
            ("products", products.isEmpty ? "[]" : JSONText.encode(products, empty: "[]")), ("custom_fields", customFields.isEmpty ? "{}" : JSONText.encode(customFields, empty: "{}")), ("target_currency", targetAmount?.currency ?? ""),
            ("search_text", search), ("source_type_id", sourceTypeID), ("type_id", typeID), ("category_id", categoryID),
            ("status_id", statusID), ("priority", priority), ("importance", importance), ("probability", probability),
            ("target_amount_minor", targetAmount?.amountMinor ?? 0), ("score", score), ("owner_id", ownerID),
            ("assigned_unit_id", assignedUnitID), ("assigned_user_id", assignedUserID), ("last_contacted_at", lastContactedAt),
            ("contact_on", contactOn), ("started_at", startedAt), ("expected_completion_at", expectedCompletionAt),
            ("completed_at", completedAt), ("lost_reason_id", lostReasonID), ("lost_to_competitor_id", lostToCompetitorID),
            ("accepted_at", acceptedAt), ("last_reassigned_at", lastReassignedAt), ("merged_into_id", mergedIntoID),
            ("version", version), ("created_by", createdBy), ("created_at", createdAt), ("updated_by", updatedBy),
            ("updated_at", updatedAt), ("imported", imported), ("account_id", conversion.accountID),
            ("contact_id", conversion.contactID), ("opportunity_id", conversion.opportunityID),
            ("converted_at", conversion.convertedAt), ("converted_by", conversion.convertedBy),
        ]
    }

    init(row: Row) {
        self.init()
        id = row["id"]; fullName = row["full_name"]; company = row["company"]; login = row["login"]; partner = row["partner"]
        location = row["location"]; country = row["country"]; region = row["region"]; province = row["province"]
        postalCode = row["postal_code"]; locale = row["locale"]; campaign = row["campaign"]; channel = row["channel"]
        source = row["source"]; state = LifecycleState(rawValue: row["state"]) ?? .pending
        emails = JSONText.decodeStrings(row["emails"]); phones = JSONText.decodeStrings(row["phones"])
        teamUserIDs = JSONText.decodeIntegers(row["team_user_ids"])
        competitorIDs = JSONText.decodeIntegers(row["competitor_ids"]); products = JSONText.decode(row["products"], [])
        customFields = JSONText.decode(row["custom_fields"], [:])
        let currency: String = row["target_currency"]
        let amount: Int64 = row["target_amount_minor"]
        targetAmount = currency.isEmpty && amount == 0 ? nil : Money(amountMinor: amount, currency: currency)
        sourceTypeID = row["source_type_id"]; typeID = row["type_id"]; categoryID = row["category_id"]; statusID = row["status_id"]
        priority = row["priority"]; importance = row["importance"]; probability = row["probability"]; score = row["score"]
        ownerID = row["owner_id"]; assignedUnitID = row["assigned_unit_id"]; assignedUserID = row["assigned_user_id"]
        lastContactedAt = row["last_contacted_at"]; contactOn = row["contact_on"]; startedAt = row["started_at"]
        expectedCompletionAt = row["expected_completion_at"]; completedAt = row["completed_at"]; lostReasonID = row["lost_reason_id"]
        lostToCompetitorID = row["lost_to_competitor_id"]; acceptedAt = row["accepted_at"]; lastReassignedAt = row["last_reassigned_at"]
        mergedIntoID = row["merged_into_id"]; version = row["version"]; createdBy = row["created_by"]; createdAt = row["created_at"]
        updatedBy = row["updated_by"]; updatedAt = row["updated_at"]; imported = row["imported"]
        conversion.accountID = row["account_id"]; conversion.contactID = row["contact_id"]; conversion.opportunityID = row["opportunity_id"]
        conversion.convertedAt = row["converted_at"]; conversion.convertedBy = row["converted_by"]
    }
}
