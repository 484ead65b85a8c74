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
                """)
        }
    }
}
