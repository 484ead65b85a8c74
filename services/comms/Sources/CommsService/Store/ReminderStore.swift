import CRMWire
import GRDB

/// The reminders crm-comms owes, derived from the activities feed, and the feed's cursor, which
/// is stored in the same transaction as the reminders an event changed: a restart neither misses
/// an event nor applies one twice.
enum ReminderStore {
    struct Reminder: Sendable {
        var activityID: Int64
        var leadID: Int64
        var assigneeID: Int64
        var subject: String
        var location: String
        var startAt: Int64
        var remindAt: Int64
    }

    static func cursor(_ db: Database, source: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT sequence FROM feed_cursor WHERE source = ?", arguments: [source]) ?? 0
    }

    /// Applies one activities event and moves the cursor past it.
    static func apply(_ db: Database, _ event: ActivitiesV1.ActivityEvent, leadTimeMillis: Int64) throws {
        if let entity = event.entity, entity.kind == .activity {
            switch (event.type, event.snapshot) {
            case (.deleted, _):
                try db.execute(sql: "DELETE FROM reminder WHERE activity_id = ?", arguments: [entity.id])
            case (_, .activity(let a)?) where a.status == .open:
                let remindAt = a.startAt - leadTimeMillis
                if let row = try Row.fetchOne(db, sql: "SELECT start_at, assignee_id FROM reminder WHERE activity_id = ?", arguments: [a.id]) {
                    let moved = (row["start_at"] as Int64) != a.startAt || (row["assignee_id"] as Int64) != a.assigneeId
                    // A moved or reassigned activity gets its reminder again, at the new time.
                    try db.execute(sql: """
                        UPDATE reminder SET lead_id = ?, assignee_id = ?, subject = ?, location = ?, start_at = ?, remind_at = ?,
                          message_id = CASE WHEN ? THEN 0 ELSE message_id END WHERE activity_id = ?
                        """, arguments: [a.leadId, a.assigneeId, a.subject, a.location, a.startAt, remindAt, moved, a.id])
                } else {
                    try db.execute(sql: """
                        INSERT INTO reminder (activity_id, lead_id, assignee_id, subject, location, start_at, remind_at, message_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                        """, arguments: [a.id, a.leadId, a.assigneeId, a.subject, a.location, a.startAt, remindAt])
                }
            case (_, .activity(let a)?):
                // Completed or cancelled: nothing left to remind of.
                try db.execute(sql: "DELETE FROM reminder WHERE activity_id = ?", arguments: [a.id])
            default:
                break
            }
        }
        try db.execute(sql: "INSERT INTO feed_cursor (source, sequence) VALUES ('activities', ?) ON CONFLICT (source) DO UPDATE SET sequence = excluded.sequence",
                       arguments: [event.sequence])
    }

    /// Reminders due at `now` for activities that have not started yet.
    static func due(_ db: Database, now: Int64, limit: Int) throws -> [Reminder] {
        try Row.fetchAll(db, sql: "SELECT * FROM reminder WHERE message_id = 0 AND remind_at <= ? AND start_at > ? ORDER BY remind_at LIMIT ?",
                         arguments: [now, now, limit]).map {
            Reminder(activityID: $0["activity_id"], leadID: $0["lead_id"], assigneeID: $0["assignee_id"], subject: $0["subject"],
                     location: $0["location"], startAt: $0["start_at"], remindAt: $0["remind_at"])
        }
    }

    /// Marks a reminder done: by the message that carried it, or -1 when none could be sent.
    static func markSent(_ db: Database, activityID: Int64, messageID: Int64, startAt: Int64) throws {
        // Only the reminder for this start time: one moved meanwhile stays due.
        try db.execute(sql: "UPDATE reminder SET message_id = ? WHERE activity_id = ? AND start_at = ?", arguments: [messageID, activityID, startAt])
    }

    /// When the next reminder falls due, if any does.
    static func nextDue(_ db: Database, now: Int64) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MIN(remind_at) FROM reminder WHERE message_id = 0 AND start_at > ?", arguments: [now])
    }
}
