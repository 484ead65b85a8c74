import CRMService
import GRDB

/// The schema of crm-activities, as frozen SQL migrations run after the kit's own (the event
/// outbox and idempotency keys). A shipped migration is never edited; changes come as new ones.
enum ActivitiesSchema {
    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("activities v1: types, activities, tasks, incidents, attachments, links") { db in
            try db.execute(sql: """
                CREATE TABLE work_type (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  scope TEXT NOT NULL,
                  name TEXT NOT NULL COLLATE NOCASE,
                  activity_kind TEXT,
                  active INTEGER NOT NULL,
                  version INTEGER NOT NULL,
                  UNIQUE (scope, name));
                CREATE TABLE activity (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  lead_id INTEGER NOT NULL,
                  type_id INTEGER NOT NULL REFERENCES work_type (id),
                  kind TEXT NOT NULL,
                  subject TEXT NOT NULL,
                  description TEXT NOT NULL,
                  start_at INTEGER NOT NULL,
                  end_at INTEGER NOT NULL,
                  location TEXT NOT NULL,
                  assignee_id INTEGER NOT NULL,
                  assignee_unit_id INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  outcome TEXT NOT NULL,
                  closed_at INTEGER NOT NULL,
                  version INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  updated_at INTEGER NOT NULL,
                  lead_full_name TEXT NOT NULL,
                  lead_company TEXT NOT NULL,
                  lead_email TEXT NOT NULL,
                  lead_phone TEXT NOT NULL);
                CREATE INDEX activity_on_lead ON activity (lead_id, status);
                CREATE INDEX activity_on_assignee ON activity (assignee_id, status, start_at);
                CREATE INDEX activity_on_start ON activity (start_at);
                CREATE INDEX activity_on_status_end ON activity (status, end_at);
                CREATE TABLE task (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  title TEXT NOT NULL,
                  description TEXT NOT NULL,
                  type_id INTEGER NOT NULL,
                  assignee_id INTEGER NOT NULL,
                  assignee_unit_id INTEGER NOT NULL,
                  due_at INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  lead_id INTEGER NOT NULL,
                  closed_at INTEGER NOT NULL,
                  version INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  updated_at INTEGER NOT NULL);
                CREATE INDEX task_on_lead ON task (lead_id, status);
                CREATE INDEX task_on_assignee ON task (assignee_id, status, due_at);
                CREATE INDEX task_on_due ON task (due_at);
                CREATE TABLE incident (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  title TEXT NOT NULL,
                  assignee_id INTEGER NOT NULL,
                  assignee_unit_id INTEGER NOT NULL,
                  type_id INTEGER NOT NULL REFERENCES work_type (id),
                  description TEXT NOT NULL,
                  link TEXT NOT NULL,
                  start_at INTEGER NOT NULL,
                  end_at INTEGER NOT NULL,
                  priority TEXT NOT NULL,
                  priority_rank INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  lead_id INTEGER NOT NULL,
                  version INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  updated_at INTEGER NOT NULL);
                CREATE INDEX incident_on_lead ON incident (lead_id);
                CREATE INDEX incident_on_assignee ON incident (assignee_id, status);
                CREATE INDEX incident_on_created ON incident (created_at);
                CREATE TABLE attachment (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  incident_id INTEGER NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
                  file_name TEXT NOT NULL,
                  content_type TEXT NOT NULL,
                  size_bytes INTEGER NOT NULL,
                  sha256 TEXT NOT NULL,
                  content BLOB NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL);
                CREATE INDEX attachment_on_incident ON attachment (incident_id);
                CREATE TABLE link (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  a_kind TEXT NOT NULL,
                  a_id INTEGER NOT NULL,
                  b_kind TEXT NOT NULL,
                  b_id INTEGER NOT NULL,
                  created_by INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  UNIQUE (a_kind, a_id, b_kind, b_id));
                CREATE INDEX link_on_b ON link (b_kind, b_id);
                INSERT INTO work_type (scope, name, activity_kind, active, version) VALUES
                  ('activity', 'Demo', 'appointment', 1, 1),
                  ('activity', 'Follow-up call', 'call', 1, 1),
                  ('activity', 'Meeting', 'meeting', 1, 1),
                  ('activity', 'Site visit', 'appointment', 1, 1),
                  ('task', 'Follow-up', NULL, 1, 1),
                  ('incident', 'Billing', NULL, 1, 1),
                  ('incident', 'Technical', NULL, 1, 1),
                  ('incident', 'Supply', NULL, 1, 1);
                """)
        }
    }
}
