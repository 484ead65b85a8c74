import GRDB

/// Where each source feed stands: written in the transaction that applies its events, so a
/// crash at any point leaves the cursor and the rows agreeing (no event lost, none doubled).
enum FeedCursorStore {
    static let leads = "crm.leads.v1.Leads"
    static let activities = "crm.activities.v1.Activities"
    static let sources = [leads, activities]

    struct Cursor: Sendable, Equatable {
        var source: String
        var applied: Int64 = 0
        var head: Int64 = 0
        var appliedAt: Int64 = 0
        var lastError: String = ""
    }

    static func cursor(_ db: Database, _ source: String) throws -> Cursor {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT applied_sequence, head_sequence, applied_at, last_error FROM feed_cursor WHERE source = ?"), arguments: [source]) else { return Cursor(source: source) }
        return Cursor(source: source, applied: row[0], head: row[1], appliedAt: row[2], lastError: row[3])
    }

    static func applied(_ db: Database, _ source: String) throws -> Int64 { try cursor(db, source).applied }

    /// Moves the cursor to `sequence` (and the head at least there), clearing any error.
    static func advance(_ db: Database, _ source: String, to sequence: Int64, head: Int64, at now: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO feed_cursor (source, applied_sequence, head_sequence, applied_at, last_error) VALUES (?1, ?2, MAX(?2, ?3), ?4, '')
            ON CONFLICT DO UPDATE SET applied_sequence = ?2, head_sequence = MAX(head_sequence, ?2, ?3), applied_at = ?4, last_error = ''
            """).execute(arguments: [source, sequence, head, now])
    }

    /// Notes the source's head (from ListEvents) and why following it fails, if it does.
    static func note(_ db: Database, _ source: String, head: Int64? = nil, error: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO feed_cursor (source, applied_sequence, head_sequence, applied_at, last_error) VALUES (?1, 0, COALESCE(?2, 0), 0, ?3)
            ON CONFLICT DO UPDATE SET head_sequence = MAX(head_sequence, COALESCE(?2, head_sequence)), last_error = ?3
            """).execute(arguments: [source, head, String(error.prefix(500))])
    }
}
