import LeadsDomain
import CRMDomain
import CRMService
import CRMWire
import Foundation
import GRDB

/// Leads, their notes and history in SQL. Scalar fields are columns (filterable, sortable);
/// lists are JSON; e-mails and phones are also indexed one per row, for duplicates and search.
enum LeadStore {
    // MARK: leads

    /// The lead `id` when `caller` may see it; NOT_FOUND otherwise.
    static func visibleLead(_ db: Database, id: Int64, caller: Caller) throws -> LeadRecord {
        try LeadAccess.requireVisible(caller, try lead(db, id: id), id: id, unitMembers: try DirectoryStore.unitMembers(db, of: caller))
    }

    static func lead(_ db: Database, id: Int64) throws -> LeadRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(LeadColumns.selection) FROM lead WHERE id = ?"), arguments: [id]).map(LeadRecord.init(row:))
    }

    /// Stores a new lead (its values and event encoded off the writer by `NewLead`) with its
    /// duplicate keys, its event and its first history entry, and returns it with its id. The
    /// entry's changes (every field from empty) are not written out: the event holds the lead as
    /// created and `history` reads them from it, so a create or an import row writes a third less.
    static func insert(_ db: Database, _ new: NewLead, rule: DuplicateRule, action: String, actorID: Int64, reason: String = "") throws -> LeadRecord {
        try db.cachedStatement(sql: LeadColumns.insert).execute(new.values)
        var saved = new.record
        saved.id = db.lastInsertedRowID
        try index(db, saved, rule: rule)
        let sequence = try new.event.append(db, id: saved.id)
        try addHistory(db, leadID: saved.id, action: action, actorID: actorID, at: saved.createdAt, encodedChanges: "",
                       version: saved.version, reason: reason, creationEvent: sequence)
        return saved
    }

    /// Writes `lead` over `old`, the stored row, which must still be at `lead.version - 1`.
    static func update(_ db: Database, old: LeadRecord, _ lead: LeadRecord, rule: DuplicateRule) throws {
        var values = lead.columnValues
        values.append(lead.id)
        values.append(lead.version - 1)
        try db.cachedStatement(sql: LeadColumns.update).execute(values)
        guard db.changesCount == 1 else { throw DomainError.stale("lead \(lead.id) changed meanwhile: read it again") }
        let (before, after) = (indexedKeys(old, rule), indexedKeys(lead, rule))
        if before != after {
            try unindex(db, old.id, before)
            try index(db, lead.id, after)
        }
    }

    static func delete(_ db: Database, _ lead: LeadRecord, rule: DuplicateRule) throws {
        try unindex(db, lead.id, indexedKeys(lead, rule))
        try db.execute(sql: "DELETE FROM lead WHERE id = ?", arguments: [lead.id])
    }

    /// The keys `lead_contact` holds for a lead: those of every indexed field, none for a merged
    /// lead (only the lead it lives on in is reported).
    private static func indexedKeys(_ lead: LeadRecord, _ rule: DuplicateRule) -> [DuplicateRule.Key] {
        lead.mergedIntoID == 0 ? rule.indexedKeys(of: lead) : []
    }

    private static func index(_ db: Database, _ lead: LeadRecord, rule: DuplicateRule) throws {
        try index(db, lead.id, indexedKeys(lead, rule))
    }

    private static func index(_ db: Database, _ leadID: Int64, _ keys: [DuplicateRule.Key]) throws {
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO lead_contact (kind, value, lead_id) VALUES (?, ?, ?)")
        for key in keys { try insert.execute(StatementValues(key.kind, key.value, leadID)) }
    }

    /// Removes what `index` wrote. The table is keyed by key only (one B-tree per row, which an
    /// import feels), so the rows go by their keys.
    private static func unindex(_ db: Database, _ leadID: Int64, _ keys: [DuplicateRule.Key]) throws {
        let delete = try db.cachedStatement(sql: "DELETE FROM lead_contact WHERE kind = ? AND value = ? AND lead_id = ?")
        for key in keys { try delete.execute(StatementValues(key.kind, key.value, leadID)) }
    }

    /// Rebuilds the index after the duplicate rule changed from `old` to `new`: the keys of the
    /// fields no longer indexed go, those of the newly indexed fields are read from every lead.
    static func reindex(_ db: Database, from old: DuplicateRule, to new: DuplicateRule) throws {
        let gone = old.indexed.filter { !new.indexed.contains($0) }
        let added = new.indexed.filter { !old.indexed.contains($0) }
        for field in gone {
            try db.execute(sql: "DELETE FROM lead_contact WHERE kind = ?", arguments: [field.kind])
        }
        guard !added.isEmpty else { return }
        let rows = try Row.fetchCursor(db, sql: "SELECT \(LeadColumns.selection) FROM lead WHERE merged_into_id = 0")
        while let row = try rows.next() {
            let lead = LeadRecord(row: row)
            try index(db, lead.id, added.flatMap { DuplicateRule.keys(of: lead, for: $0) })
        }
    }

    /// Leads other than `excluding` sharing one of `keys`, each with the key it shares.
    static func duplicates(_ db: Database, keys: [DuplicateRule.Key], excluding: Int64) throws -> [(leadID: Int64, key: DuplicateRule.Key)] {
        var out: [(Int64, DuplicateRule.Key)] = []
        let select = try db.cachedStatement(sql: "SELECT lead_id FROM lead_contact WHERE kind = ? AND value = ? AND lead_id != ? ORDER BY lead_id LIMIT 100")
        for key in keys {
            for leadID in try Int64.fetchAll(select, arguments: [key.kind, key.value, excluding]) { out.append((leadID, key)) }
        }
        return out
    }

    /// The first lead sharing one of `keys`, read with one lookup per key and no more.
    static func firstDuplicate(_ db: Database, keys: [DuplicateRule.Key]) throws -> (leadID: Int64, key: DuplicateRule.Key)? {
        let select = try db.cachedStatement(sql: "SELECT lead_id FROM lead_contact WHERE kind = ? AND value = ? ORDER BY lead_id LIMIT 1")
        for key in keys {
            if let leadID = try select.fetchInt64(StatementValues(key.kind, key.value)) { return (leadID, key) }
        }
        return nil
    }

    /// The leads sharing one of `keys`, at most `limit` of them, in id order: what an import row matches.
    static func matches(_ db: Database, keys: [DuplicateRule.Key], limit: Int = 3) throws -> [Int64] {
        let select = try db.cachedStatement(sql: "SELECT lead_id FROM lead_contact WHERE kind = ? AND value = ? ORDER BY lead_id LIMIT ?")
        var found: [Int64] = []
        for key in keys {
            for id in try Int64.fetchAll(select, arguments: [key.kind, key.value, limit]) where !found.contains(id) { found.append(id) }
            if found.count >= limit { break }
        }
        return found.sorted()
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

    /// A page of a lead's notes, newest first, and the cursor of the next.
    static func notes(_ db: Database, leadID: Int64, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> ([NoteRow], next: PageCursor?) {
        var query = ListQuery(table: "note", order: [], idDescending: true)
        query.require("lead_id = ?", [leadID])
        let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: 0) {
            NoteRow(id: $0["id"], leadID: $0["lead_id"], authorID: $0["author_id"], authorName: $0["author_name"], text: $0["text"], createdAt: $0["created_at"])
        }
        return (page.records, page.next)
    }

    struct HistoryRow: Sendable {
        var id: Int64, leadID: Int64, action: String, actorID: Int64, at: Int64, changes: [[String]], version: Int64, reason: String

        /// The (field, old, new) triples of a creation: every field the lead was created with,
        /// from empty, read from its creation event.
        static func changes(fromCreationEvent payload: [UInt8]) -> [[String]] {
            guard let wire = (try? LeadsV1.LeadEvent(serializedBytes: payload))?.lead else { return [] }
            return LeadDiff.changes(from: LeadRecord(), to: LeadRecord(wire: wire)).map { [$0.field, $0.old, $0.new] }
        }

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
        try addHistory(db, leadID: leadID, action: action, actorID: actorID, at: at, encodedChanges: encode(changes), version: version, reason: reason)
    }

    /// Changes as the history table keeps them: a flat JSON array (field, old, new, field, old,
    /// new, ...), one hand-written encoding, no Codable.
    static func encode(_ changes: [(field: String, old: String, new: String)]) -> String {
        guard !changes.isEmpty else { return "[]" }
        var out = "["
        out.reserveCapacity(changes.count * 40)
        for (i, change) in changes.enumerated() {
            if i > 0 { out += "," }
            JSONValue.appendQuoted(change.field, to: &out)
            out += ","
            JSONValue.appendQuoted(change.old, to: &out)
            out += ","
            JSONValue.appendQuoted(change.new, to: &out)
        }
        out += "]"
        return out
    }

    /// - Parameter creationEvent: for a creation, the sequence of the event holding the lead as
    ///   created, whose fields are the entry's changes (`encodedChanges` is then empty).
    private static func addHistory(_ db: Database, leadID: Int64, action: String, actorID: Int64, at: Int64, encodedChanges: String, version: Int64,
                                   reason: String, creationEvent: Int64 = 0) throws {
        try db.cachedStatement(sql: "INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason, creation_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(StatementValues(leadID, action, actorID, at, encodedChanges, version, reason, creationEvent))
    }

    /// A page of a lead's history, newest first, and the cursor of the next. A creation's
    /// changes are read from its event.
    static func history(_ db: Database, leadID: Int64, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> ([HistoryRow], next: PageCursor?) {
        var query = ListQuery(
            table: "(SELECT h.*, e.payload AS creation FROM history h LEFT JOIN event e ON h.creation_event != 0 AND e.sequence = h.creation_event) AS entry",
            order: [(ListQuery.SortColumn("at"), true)])
        query.require("lead_id = ?", [leadID])
        let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: 0) {
            let creation = ($0["creation"] as Data?).map { [UInt8]($0) }
            return HistoryRow(id: $0["id"], leadID: $0["lead_id"], action: $0["action"], actorID: $0["actor_id"], at: $0["at"],
                              changes: creation.map(HistoryRow.changes(fromCreationEvent:)) ?? HistoryRow.changes(fromJSON: $0["changes"]),
                              version: $0["version"], reason: $0["reason"])
        }
        return (page.records, page.next)
    }

    /// Gives lead `to` the notes of lead `from` and a copy of its history (each entry saying
    /// which lead it came from), as a merge does; `from` keeps its own history.
    static func moveNotesAndHistory(_ db: Database, from: Int64, to: Int64) throws {
        try db.execute(sql: "UPDATE note SET lead_id = ? WHERE lead_id = ?", arguments: [to, from])
        try db.execute(
            sql: """
                INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason, creation_event)
                SELECT ?, action, actor_id, at, changes, version, 'lead ' || lead_id || (CASE WHEN reason = '' THEN '' ELSE ': ' || reason END), creation_event
                FROM history WHERE lead_id = ? ORDER BY id
                """,
            arguments: [to, from])
    }

    static func markRead(_ db: Database, leadID: Int64, userID: Int64, at: Int64) throws {
        try db.execute(sql: "INSERT INTO lead_read (lead_id, user_id, read_at) VALUES (?, ?, ?) ON CONFLICT (lead_id, user_id) DO UPDATE SET read_at = excluded.read_at",
                       arguments: [leadID, userID, at])
    }

    /// Marks the lead unread for the user, whoever they are to it (its assignee, its owner, a
    /// manager): it shows in their unread view until they open it.
    static func markUnread(_ db: Database, leadID: Int64, userID: Int64) throws {
        try db.execute(sql: "INSERT INTO lead_read (lead_id, user_id, read_at) VALUES (?, ?, ?) ON CONFLICT (lead_id, user_id) DO UPDATE SET read_at = excluded.read_at",
                       arguments: [leadID, userID, markedUnread])
    }

    /// The read time of a lead marked unread by hand (before any real time).
    static let markedUnread: Int64 = 0

    /// Whether the lead is unread for `userID`: its assignee has not opened it since it was last
    /// assigned to them, or anyone marked it unread and has not opened it since.
    static func isUnread(_ db: Database, _ lead: LeadRecord, userID: Int64) throws -> Bool {
        let readAt = try Int64.fetchOne(db.cachedStatement(sql: "SELECT read_at FROM lead_read WHERE lead_id = ? AND user_id = ?"), arguments: [lead.id, userID])
        if lead.assignedUserID == userID { return (readAt ?? -1) < max(lead.acceptedAt, lead.lastReassignedAt, lead.createdAt) }
        return readAt == markedUnread
    }
}
