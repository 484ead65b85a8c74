import GRDB

/// The schema of crm-comms, as frozen SQL run after the kit's migrations. A shipped migration is
/// never edited.
enum CommsSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("comms v1: templates and the message outbox") { db in
            try db.execute(sql: """
                CREATE TABLE template (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                  channel TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  body TEXT NOT NULL,
                  body_kind TEXT NOT NULL,
                  tags TEXT NOT NULL,
                  active INTEGER NOT NULL,
                  version INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  updated_at INTEGER NOT NULL);
                CREATE TABLE message (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  lead_id INTEGER NOT NULL,
                  template_id INTEGER NOT NULL,
                  channel TEXT NOT NULL,
                  recipient TEXT NOT NULL,
                  sender_name TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  body TEXT NOT NULL,
                  body_kind TEXT NOT NULL,
                  message_id TEXT NOT NULL UNIQUE,
                  status TEXT NOT NULL,
                  attempts INTEGER NOT NULL,
                  last_error TEXT NOT NULL,
                  next_attempt_at INTEGER NOT NULL,
                  sent_at INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  recorded INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX message_unrecorded ON message (recorded, status);
                CREATE INDEX message_on_lead ON message (lead_id, created_at);
                CREATE INDEX message_on_created ON message (created_at);
                CREATE INDEX message_due ON message (status, next_attempt_at);
                CREATE TABLE reminder (
                  activity_id INTEGER PRIMARY KEY,
                  lead_id INTEGER NOT NULL,
                  assignee_id INTEGER NOT NULL,
                  subject TEXT NOT NULL,
                  location TEXT NOT NULL,
                  start_at INTEGER NOT NULL,
                  remind_at INTEGER NOT NULL,
                  message_id INTEGER NOT NULL);
                CREATE INDEX reminder_due ON reminder (message_id, remind_at);
                CREATE TABLE feed_cursor (
                  source TEXT PRIMARY KEY,
                  sequence INTEGER NOT NULL);
                INSERT INTO template (name, channel, subject, body, body_kind, tags, active, version, created_by, created_at, updated_at) VALUES
                  ('Activity reminder', 'email', 'Reminder: #activity.subject, #activity.start',
                   'Hello #activity.assignee.name,' || char(10) || char(10) ||
                   '#activity.subject starts at #activity.start (#activity.location).' || char(10) ||
                   'Lead: #lead.full_name, #lead.company, #lead.phone' || char(10),
                   'plain', '#activity.subject #activity.start #activity.assignee.name #activity.location #lead.full_name #lead.company #lead.phone',
                   1, 1, 0, 0, 0);
                """)
        }
    }
}
