import CommsDomain
import GRDB

/// A message in the outbox: rendered when queued, kept as sent.
struct MessageRecord: Sendable, Hashable {
    enum Status: String, Sendable { case queued, sending, sent, retrying, failed }

    var id: Int64 = 0
    var leadID: Int64
    var templateID: Int64
    var recipient: String
    var senderName: String
    var subject: String
    var body: String
    var bodyKind: BodyKind
    /// The RFC 5322 Message-ID, fixed when queued.
    var messageID: String
    var status: Status = .queued
    var attempts: Int = 0
    var lastError: String = ""
    var nextAttemptAt: Int64
    var sentAt: Int64 = 0
    var createdBy: Int64
    var createdAt: Int64
}

enum MessageStore {
    static func record(_ row: Row) -> MessageRecord {
        MessageRecord(
            id: row["id"], leadID: row["lead_id"], templateID: row["template_id"], recipient: row["recipient"], senderName: row["sender_name"],
            subject: row["subject"], body: row["body"], bodyKind: BodyKind(rawValue: row["body_kind"]) ?? .plain, messageID: row["message_id"],
            status: MessageRecord.Status(rawValue: row["status"]) ?? .queued, attempts: row["attempts"], lastError: row["last_error"],
            nextAttemptAt: row["next_attempt_at"], sentAt: row["sent_at"], createdBy: row["created_by"], createdAt: row["created_at"])
    }

    static func message(_ db: Database, id: Int64) throws -> MessageRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM message WHERE id = ?"), arguments: [id]).map(record)
    }

    static func insert(_ db: Database, _ m: MessageRecord) throws -> MessageRecord {
        try db.cachedStatement(sql: """
            INSERT INTO message (lead_id, template_id, channel, recipient, sender_name, subject, body, body_kind, message_id, status, attempts,
              last_error, next_attempt_at, sent_at, created_by, created_at)
            VALUES (?, ?, 'email', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                m.leadID, m.templateID, m.recipient, m.senderName, m.subject, m.body, m.bodyKind.rawValue, m.messageID, m.status.rawValue,
                m.attempts, m.lastError, m.nextAttemptAt, m.sentAt, m.createdBy, m.createdAt,
            ])
        var saved = m
        saved.id = db.lastInsertedRowID
        return saved
    }

    /// Stores a message to deliver, gives it its Message-ID (`<id>.<at>@<domain>`), and appends
    /// its QUEUED event, in the caller's transaction.
    static func queue(_ db: Database, _ message: MessageRecord, domain: String, at now: Int64) throws -> MessageRecord {
        var pending = message
        pending.messageID = "pending-\(message.leadID)-\(now)-\(Int.random(in: 0...Int.max))"
        var stored = try insert(db, pending)
        stored.messageID = "\(stored.id).\(now)@\(domain)"
        try db.cachedStatement(sql: "UPDATE message SET message_id = ? WHERE id = ?").execute(arguments: [stored.messageID, stored.id])
        try CommsEvents.append(db, .queued, stored, at: now)
        return stored
    }

    static func updateDelivery(_ db: Database, _ m: MessageRecord) throws {
        try db.cachedStatement(sql: "UPDATE message SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, sent_at = ? WHERE id = ?")
            .execute(arguments: [m.status.rawValue, m.attempts, m.lastError, m.nextAttemptAt, m.sentAt, m.id])
    }

    /// Messages due for an attempt at `now`, oldest due first: queued and retrying ones whose
    /// time has come, and those left `sending` when the service stopped (retried once it is back).
    static func due(_ db: Database, now: Int64, limit: Int) throws -> [MessageRecord] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM message WHERE status IN ('queued', 'retrying', 'sending') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
            """), arguments: [now, limit]).map(record)
    }

    /// Sent messages not yet in their lead's history in crm-leads.
    static func unrecorded(_ db: Database, limit: Int) throws -> [MessageRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM message WHERE recorded = 0 AND status = 'sent' ORDER BY id LIMIT ?"), arguments: [limit]).map(record)
    }

    static func markRecorded(_ db: Database, id: Int64) throws {
        try db.cachedStatement(sql: "UPDATE message SET recorded = 1 WHERE id = ?").execute(arguments: [id])
    }

    /// When the next message falls due, if any does.
    static func nextDue(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM message WHERE status IN ('queued', 'retrying', 'sending')")
    }
}
