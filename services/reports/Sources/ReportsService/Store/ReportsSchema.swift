import CRMService
import GRDB

/// The read model of crm-reports, as frozen SQL run after the kit's migrations. Everything in it
/// is derived from the leads and activities feeds, so a rebuild (`crm-reports --rebuild`) may
/// empty it and read the feeds again; a shipped migration is still never edited.
enum ReportsSchema {
    /// The columns a list report may filter or sort on, each with an index of its own (SQLite adds
    /// the row id to every index, so each one also serves "ORDER BY column, id" and its cursor).
    static let indexedColumns = [
        "full_name", "company", "email", "country", "region", "province", "postal_code", "locale", "campaign", "channel",
        "source_type", "type_name", "status_name", "state", "priority", "importance", "probability", "owner_id", "owner_name",
        "assigned_unit_id", "assigned_unit_name", "assigned_user_id", "assigned_user_name", "target_amount", "contact_on",
        "expected_completion_at", "completed_at", "open_work", "created_at", "updated_at", "type_id", "status_id", "source_type_id",
    ]

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("reports v1: the read model of leads and work") { db in
            try db.execute(sql: """
                CREATE TABLE lead_row (
                  id INTEGER PRIMARY KEY,
                  full_name TEXT NOT NULL, company TEXT NOT NULL, email TEXT NOT NULL, phone TEXT NOT NULL,
                  emails TEXT NOT NULL, phones TEXT NOT NULL,
                  country TEXT NOT NULL, region TEXT NOT NULL, province TEXT NOT NULL, postal_code TEXT NOT NULL, locale TEXT NOT NULL,
                  campaign TEXT NOT NULL, channel TEXT NOT NULL,
                  source_type_id INTEGER NOT NULL, source_type TEXT NOT NULL,
                  type_id INTEGER NOT NULL, type_name TEXT NOT NULL, category_id INTEGER NOT NULL,
                  status_id INTEGER NOT NULL, status_name TEXT NOT NULL, state INTEGER NOT NULL, is_open INTEGER NOT NULL,
                  priority INTEGER NOT NULL, importance INTEGER NOT NULL, probability INTEGER NOT NULL,
                  target_amount INTEGER NOT NULL, currency TEXT NOT NULL,
                  owner_id INTEGER NOT NULL, owner_name TEXT NOT NULL,
                  assigned_unit_id INTEGER NOT NULL, assigned_unit_name TEXT NOT NULL,
                  assigned_user_id INTEGER NOT NULL, assigned_user_name TEXT NOT NULL,
                  contact_on INTEGER NOT NULL, expected_completion_at INTEGER NOT NULL, completed_at INTEGER NOT NULL,
                  converted INTEGER NOT NULL, imported INTEGER NOT NULL, open_work INTEGER NOT NULL,
                  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                  custom_fields TEXT NOT NULL);
                -- Open leads by expected completion: the overdue list and the workloads' overdue counts.
                CREATE INDEX lead_row_overdue ON lead_row(expected_completion_at) WHERE is_open AND expected_completion_at > 0;
                -- Full text over names, company, e-mails and phones (FTS5, kept in step by the store).
                CREATE VIRTUAL TABLE lead_text USING fts5(full_name, company, emails, phones, content='', tokenize='unicode61 remove_diacritics 2');

                CREATE TABLE user_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL, unit_id INTEGER NOT NULL, active INTEGER NOT NULL, role TEXT NOT NULL);
                CREATE INDEX user_name_unit ON user_name(unit_id);
                CREATE TABLE unit_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE status_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL, state INTEGER NOT NULL);
                CREATE TABLE type_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE source_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE work_type_name (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE custom_field (key TEXT PRIMARY KEY, type TEXT NOT NULL);

                CREATE TABLE work_item (
                  kind TEXT NOT NULL, id INTEGER NOT NULL,
                  lead_id INTEGER NOT NULL, type_id INTEGER NOT NULL, status TEXT NOT NULL, is_open INTEGER NOT NULL,
                  assignee_id INTEGER NOT NULL, due_at INTEGER NOT NULL, priority TEXT NOT NULL, created_at INTEGER NOT NULL,
                  PRIMARY KEY (kind, id)) WITHOUT ROWID;
                CREATE INDEX work_item_lead ON work_item(lead_id) WHERE is_open;
                CREATE INDEX work_item_due ON work_item(kind, due_at) WHERE is_open AND due_at > 0;
                CREATE INDEX work_item_created ON work_item(kind, created_at);

                -- The maintained aggregates: each lead or work item adds to a few cells (ReportsDomain.Contribution).
                CREATE TABLE agg_type_status (type_id INTEGER NOT NULL, status_id INTEGER NOT NULL, count INTEGER NOT NULL,
                  PRIMARY KEY (type_id, status_id)) WITHOUT ROWID;
                CREATE TABLE agg_pipeline (state INTEGER NOT NULL, currency TEXT NOT NULL, count INTEGER NOT NULL,
                  amount INTEGER NOT NULL, weighted INTEGER NOT NULL, PRIMARY KEY (state, currency)) WITHOUT ROWID;
                CREATE TABLE agg_conversion (grouping TEXT NOT NULL, key TEXT NOT NULL, day INTEGER NOT NULL, state INTEGER NOT NULL,
                  count INTEGER NOT NULL, PRIMARY KEY (grouping, key, day, state)) WITHOUT ROWID;
                CREATE TABLE agg_open_leads (user_id INTEGER PRIMARY KEY, count INTEGER NOT NULL);
                CREATE TABLE agg_open_due (user_id INTEGER NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (user_id, day)) WITHOUT ROWID;
                CREATE TABLE agg_work (kind TEXT NOT NULL, grouping TEXT NOT NULL, key TEXT NOT NULL, day INTEGER NOT NULL,
                  total INTEGER NOT NULL, open INTEGER NOT NULL, PRIMARY KEY (kind, grouping, key, day)) WITHOUT ROWID;

                -- How far each source feed has been applied (written in the transaction that applies its events).
                CREATE TABLE feed_cursor (source TEXT PRIMARY KEY, applied_sequence INTEGER NOT NULL, head_sequence INTEGER NOT NULL,
                  applied_at INTEGER NOT NULL, last_error TEXT NOT NULL);
                """)
            for column in indexedColumns {
                try db.execute(sql: "CREATE INDEX lead_row_\(column) ON lead_row(\(column))")
            }
        }
    }

    /// The index a page walks. Sorting the matches costs about one row read per match; walking
    /// the sort's own index costs about `page × leads / matches` row reads before the page is
    /// full. So the sort's index when matches pass √(page × leads) (7,000 of a million for a page
    /// of 50), and the planner's choice (the filter's index) below that; an export reads every
    /// row (`matches` nil) and always walks the sort's index.
    static func orderIndex(for query: ListQuery, matches: Int64?, of leads: Int64, page: Int) -> String? {
        guard let column = query.firstSortColumn, indexedColumns.contains(column) else { return nil }
        guard let matches else { return "lead_row_\(column)" }
        return Double(matches) > (Double(page) * Double(leads)).squareRoot() ? "lead_row_\(column)" : nil
    }

    /// The tables a rebuild empties (everything but the schema itself).
    static let derivedTables = [
        "lead_row", "user_name", "unit_name", "status_name", "type_name", "source_name", "work_type_name", "custom_field", "work_item",
        "agg_type_status", "agg_pipeline", "agg_conversion", "agg_open_leads", "agg_open_due", "agg_work", "feed_cursor",
    ]

    /// Empties the read model, so that following the feeds from the start rebuilds it.
    static func clear(_ db: Database) throws {
        for table in derivedTables { try db.execute(sql: "DELETE FROM \(table)") }
        try db.execute(sql: "INSERT INTO lead_text(lead_text) VALUES('delete-all')")
    }
}
