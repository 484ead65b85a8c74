import LeadsDomain
import CRMService
import Foundation
import GRDB

/// The leads service's SQLite database: WAL, foreign keys, a busy timeout, and the schema as
/// versioned migrations. A shipped migration is never edited; changes come as new ones.
public final class LeadsDatabase: TransactionWriter {
    /// The kit's service database: durable WAL, group commit, the commit signal the feed waits on.
    let service: ServiceDatabase
    var pool: DatabasePool { service.pool }
    /// Yields after each commit: what WatchEvents waits on, so every change that appends an
    /// event (users, units and configuration too) wakes the feed's watchers.
    var commits: CommitSignal { service.commits }
    /// The lead configuration as last read, reused while its generation is unchanged.
    let configuration = ConfigurationCache()

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        service = try ServiceDatabase(path: path, label: "crm-leads", prepare: ServiceDatabase.largeStore, migrator: Self.migrator)
    }

    /// Runs `body` atomically: everything it does commits together or not at all, and it
    /// returns only once committed. Calls arriving together share one transaction (each in its
    /// own savepoint), so one disk sync serves them all.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await service.write(body)
    }

    /// Runs `body` on a snapshot of the committed data.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await service.read(body)
    }

    /// Closes the database; pending writes finish first.
    public func close() throws {
        try service.close()
    }

    /// The schema, as frozen SQL: each migration is the text it ran when it shipped (written out
    /// from what the earlier code executed, so that no migration calls application code that may
    /// change). A shipped migration is never edited; changes come as new ones. Identifiers are
    /// GRDB's record of what a database has applied, so they stay as they shipped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: directory, events, idempotency") { db in
            // Users and units; the transactional outbox (one row per committed change, in commit order);
            // the first answer to each idempotent call.
            try db.execute(sql: """
                CREATE TABLE "unit" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL UNIQUE COLLATE NOCASE, "kind" TEXT NOT NULL, "manager_id" INTEGER, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL, "created_at" INTEGER NOT NULL);
                CREATE TABLE "user" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "login" TEXT NOT NULL UNIQUE, "name" TEXT NOT NULL, "email" TEXT NOT NULL, "role" TEXT NOT NULL, "unit_id" INTEGER REFERENCES "unit"("id"), "active" BOOLEAN NOT NULL, "password_hash" TEXT NOT NULL, "version" INTEGER NOT NULL, "created_at" INTEGER NOT NULL, "updated_at" INTEGER NOT NULL);
                CREATE INDEX "user_on_unit" ON "user"("unit_id");
                CREATE TABLE "event" ("sequence" INTEGER PRIMARY KEY AUTOINCREMENT, "type" INTEGER NOT NULL, "entity_id" INTEGER NOT NULL, "at" INTEGER NOT NULL, "actor_id" INTEGER NOT NULL, "payload" BLOB NOT NULL);
                CREATE TABLE "idempotency" ("caller_id" INTEGER NOT NULL, "method" TEXT NOT NULL, "key" TEXT NOT NULL, "response" BLOB NOT NULL, "created_at" INTEGER NOT NULL, PRIMARY KEY ("caller_id", "method", "key"));
                """)
        }
        migrator.registerMigration("v2: lead configuration, seeded") { db in
            // The lead configuration, seeded with the default statuses, types, catalog, labels and
            // definition.
            try db.execute(sql: """
                CREATE TABLE "lead_status" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "state" TEXT NOT NULL, "description" TEXT NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL);
                CREATE TABLE "lead_type" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "description" TEXT NOT NULL, "status_ids" TEXT NOT NULL, "initial_status_id" INTEGER NOT NULL, "transitions" TEXT NOT NULL, "category_ids" TEXT NOT NULL, "default_priority" INTEGER NOT NULL, "default_importance" INTEGER NOT NULL, "estimated_completion_ms" INTEGER NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL);
                CREATE TABLE "catalog_item" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "kind" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL);
                CREATE TABLE "level_label" ("scale" TEXT NOT NULL, "level" INTEGER NOT NULL, "label" TEXT NOT NULL, "supported" BOOLEAN NOT NULL, PRIMARY KEY ("scale", "level"));
                CREATE TABLE "lead_definition" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "allowed_type_ids" TEXT NOT NULL, "default_type_id" INTEGER NOT NULL, "convert_on_win" BOOLEAN NOT NULL, "create_opportunity_on_win" BOOLEAN NOT NULL, "default_priority" INTEGER NOT NULL, "default_importance" INTEGER NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL);
                CREATE TABLE "custom_field" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "key" TEXT NOT NULL UNIQUE, "label" TEXT NOT NULL, "type" TEXT NOT NULL, "choices" TEXT NOT NULL, "required" BOOLEAN NOT NULL, "lead_type_ids" TEXT NOT NULL, "pattern" TEXT NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'Just captured, nobody has worked on it', 'New', 'pending', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'First contact made', 'Contacted', 'pending', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'Finding out whether it is a real opportunity', 'Qualifying', 'in_progress', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'An offer is with the lead', 'Proposal sent', 'in_progress', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'Terms are being agreed', 'Negotiating', 'in_progress', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'The lead became a customer', 'Won', 'won', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'The lead went elsewhere or gave up', 'Lost', 'lost', 1);
                INSERT INTO lead_status (active, description, name, state, version) VALUES (1, 'Not a lead after all', 'Cancelled', 'cancelled', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'category', 'Hot', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'category', 'Warm', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'category', 'Cold', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'lost_reason', 'Price', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'lost_reason', 'Chose a competitor', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'lost_reason', 'No budget', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'lost_reason', 'No response', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'lost_reason', 'Not interested', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'competitor', 'Other provider', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Web form', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Import', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Referral', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Phone', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Event', 1);
                INSERT INTO catalog_item (active, description, kind, name, version) VALUES (1, '', 'source_type', 'Partner', 1);
                INSERT INTO lead_type (active, category_ids, default_importance, default_priority, description, estimated_completion_ms, initial_status_id, name, status_ids, transitions, version) VALUES (1, '[1,2,3]', 4, 5, 'Any prospect', 2592000000, 1, 'Standard', '[1,2,3,4,5,6,7,8]', '[{"to":2,"from":1},{"to":1,"from":2},{"to":4,"from":3},{"to":5,"from":4},{"to":4,"from":5},{"to":3,"from":4}]', 1);
                INSERT INTO lead_type (active, category_ids, default_importance, default_priority, description, estimated_completion_ms, initial_status_id, name, status_ids, transitions, version) VALUES (1, '[1,2,3]', 4, 5, 'Electricity or gas supply contracts', 1209600000, 1, 'Energy supply', '[1,2,3,4,5,6,7,8]', '[{"from":1,"to":2},{"from":2,"to":1},{"from":3,"to":4},{"from":4,"to":5},{"from":5,"to":4},{"from":4,"to":3}]', 1);
                INSERT INTO lead_definition (active, allowed_type_ids, convert_on_win, create_opportunity_on_win, default_importance, default_priority, default_type_id, name, version) VALUES (1, '[1,2]', 1, 0, 4, 5, 1, 'Default', 1);
                INSERT INTO custom_field (active, choices, key, label, lead_type_ids, pattern, required, type, version) VALUES (1, '[]', 'cups', 'CUPS (supply point code)', '[2]', '^ES[0-9]{16}[A-Z]{2}([0-9][FP])?$', 0, 'text', 1);
                INSERT INTO custom_field (active, choices, key, label, lead_type_ids, pattern, required, type, version) VALUES (1, '["2.0TD","3.0TD","6.1TD"]', 'tariff', 'Access tariff', '[2]', '', 0, 'choice', 1);
                INSERT INTO custom_field (active, choices, key, label, lead_type_ids, pattern, required, type, version) VALUES (1, '[]', 'annual_consumption_kwh', 'Annual consumption (kWh)', '[2]', '', 0, 'integer', 1);
                INSERT INTO custom_field (active, choices, key, label, lead_type_ids, pattern, required, type, version) VALUES (1, '[]', 'contracted_power_kw', 'Contracted power (kW)', '[2]', '', 0, 'decimal', 1);
                DELETE FROM level_label;
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 1, 'Lowest', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 2, 'Very low', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 3, 'Low', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 4, 'Below normal', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 5, 'Normal', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 6, 'Above normal', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 7, 'High', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 8, 'Very high', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 9, 'Urgent', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('priority', 10, 'Critical', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 1, 'Minimal', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 2, 'Low', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 3, 'Moderate', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 4, 'Normal', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 5, 'Notable', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 6, 'High', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 7, 'Very high', 1);
                INSERT INTO level_label (scale, level, label, supported) VALUES ('importance', 8, 'Key account', 1);
                """)
        }
        migrator.registerMigration("v3: leads, contacts, notes, history, read marks") { db in
            // Leads with their contacts, notes, history and read marks.
            try db.execute(sql: """
                CREATE TABLE "lead" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "full_name" TEXT NOT NULL, "company" TEXT NOT NULL, "login" TEXT NOT NULL, "partner" TEXT NOT NULL, "location" TEXT NOT NULL, "country" TEXT NOT NULL, "region" TEXT NOT NULL, "province" TEXT NOT NULL, "postal_code" TEXT NOT NULL, "locale" TEXT NOT NULL, "campaign" TEXT NOT NULL, "channel" TEXT NOT NULL, "source" TEXT NOT NULL, "state" TEXT NOT NULL, "emails" TEXT NOT NULL, "phones" TEXT NOT NULL, "team_user_ids" TEXT NOT NULL, "competitor_ids" TEXT NOT NULL, "products" TEXT NOT NULL, "custom_fields" TEXT NOT NULL, "target_currency" TEXT NOT NULL, "search_text" TEXT NOT NULL, "source_type_id" INTEGER NOT NULL, "type_id" INTEGER NOT NULL, "category_id" INTEGER NOT NULL, "status_id" INTEGER NOT NULL, "priority" INTEGER NOT NULL, "importance" INTEGER NOT NULL, "probability" INTEGER NOT NULL, "target_amount_minor" INTEGER NOT NULL, "score" INTEGER NOT NULL, "owner_id" INTEGER NOT NULL, "assigned_unit_id" INTEGER NOT NULL, "assigned_user_id" INTEGER NOT NULL, "last_contacted_at" INTEGER NOT NULL, "contact_on" INTEGER NOT NULL, "started_at" INTEGER NOT NULL, "expected_completion_at" INTEGER NOT NULL, "completed_at" INTEGER NOT NULL, "lost_reason_id" INTEGER NOT NULL, "lost_to_competitor_id" INTEGER NOT NULL, "accepted_at" INTEGER NOT NULL, "last_reassigned_at" INTEGER NOT NULL, "merged_into_id" INTEGER NOT NULL, "version" INTEGER NOT NULL, "created_by" INTEGER NOT NULL, "created_at" INTEGER NOT NULL, "updated_by" INTEGER NOT NULL, "updated_at" INTEGER NOT NULL, "imported" BOOLEAN NOT NULL);
                CREATE INDEX "lead_on_owner_id" ON "lead"("owner_id");
                CREATE INDEX "lead_on_assigned_unit_id_assigned_user_id" ON "lead"("assigned_unit_id", "assigned_user_id");
                CREATE INDEX "lead_on_assigned_user_id" ON "lead"("assigned_user_id");
                CREATE INDEX "lead_on_state_expected_completion_at" ON "lead"("state", "expected_completion_at");
                CREATE INDEX "lead_on_created_at" ON "lead"("created_at");
                CREATE INDEX "lead_on_status_id" ON "lead"("status_id");
                CREATE INDEX "lead_on_country" ON "lead"("country");
                CREATE TABLE "lead_contact" ("lead_id" INTEGER NOT NULL REFERENCES "lead"("id") ON DELETE CASCADE, "kind" TEXT NOT NULL, "value" TEXT NOT NULL, PRIMARY KEY ("lead_id", "kind", "value"));
                CREATE INDEX "lead_contact_on_value" ON "lead_contact"("kind", "value");
                CREATE TABLE "note" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "lead_id" INTEGER NOT NULL REFERENCES "lead"("id") ON DELETE CASCADE, "author_id" INTEGER NOT NULL, "author_name" TEXT NOT NULL, "text" TEXT NOT NULL, "created_at" INTEGER NOT NULL);
                CREATE INDEX "note_on_lead_id" ON "note"("lead_id");
                CREATE TABLE "history" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "lead_id" INTEGER NOT NULL, "action" TEXT NOT NULL, "actor_id" INTEGER NOT NULL, "at" INTEGER NOT NULL, "changes" TEXT NOT NULL, "version" INTEGER NOT NULL, "reason" TEXT NOT NULL);
                CREATE INDEX "history_on_lead_id" ON "history"("lead_id");
                CREATE TABLE "lead_read" ("lead_id" INTEGER NOT NULL REFERENCES "lead"("id") ON DELETE CASCADE, "user_id" INTEGER NOT NULL, "read_at" INTEGER NOT NULL, PRIMARY KEY ("lead_id", "user_id"));
                """)
        }
        migrator.registerMigration("v4: assignments and assignment rules") { db in
            // The assignment trail and the assignment rules.
            try db.execute(sql: """
                CREATE TABLE "assignment" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "lead_id" INTEGER NOT NULL, "from_unit_id" INTEGER NOT NULL, "from_user_id" INTEGER NOT NULL, "to_unit_id" INTEGER NOT NULL, "to_user_id" INTEGER NOT NULL, "assigned_by" INTEGER NOT NULL, "rule_id" INTEGER NOT NULL, "assigned_at" INTEGER NOT NULL, "note" TEXT NOT NULL);
                CREATE INDEX "assignment_on_lead_id" ON "assignment"("lead_id");
                CREATE TABLE "assignment_rule" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "position" INTEGER NOT NULL, "condition" TEXT NOT NULL, "unit_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "round_robin" BOOLEAN NOT NULL, "active" BOOLEAN NOT NULL, "version" INTEGER NOT NULL, "last_user_id" INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("v5: conversions, configuration generation") { db in
            // Accounts, contacts and opportunities from conversions; a generation every configuration
            // change moves (triggers), so caches know when to read it again.
            try db.execute(sql: """
                ALTER TABLE "lead" ADD COLUMN "account_id" INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE "lead" ADD COLUMN "contact_id" INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE "lead" ADD COLUMN "opportunity_id" INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE "lead" ADD COLUMN "converted_at" INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE "lead" ADD COLUMN "converted_by" INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX "lead_on_converted_at" ON "lead"("converted_at");
                CREATE TABLE "account" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL, "lead_id" INTEGER NOT NULL, "owner_id" INTEGER NOT NULL, "country" TEXT NOT NULL, "created_at" INTEGER NOT NULL);
                CREATE INDEX "account_on_lead_id" ON "account"("lead_id");
                CREATE TABLE "contact" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "account_id" INTEGER NOT NULL REFERENCES "account"("id"), "lead_id" INTEGER NOT NULL, "full_name" TEXT NOT NULL, "emails" TEXT NOT NULL, "phones" TEXT NOT NULL, "created_at" INTEGER NOT NULL);
                CREATE INDEX "contact_on_lead_id" ON "contact"("lead_id");
                CREATE TABLE "opportunity" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "lead_id" INTEGER NOT NULL, "account_id" INTEGER NOT NULL, "name" TEXT NOT NULL, "amount_minor" INTEGER NOT NULL, "currency" TEXT NOT NULL, "probability" INTEGER NOT NULL, "owner_id" INTEGER NOT NULL, "created_at" INTEGER NOT NULL);
                CREATE INDEX "opportunity_on_lead_id" ON "opportunity"("lead_id");
                CREATE TABLE "config_generation" ("value" INTEGER NOT NULL);
                INSERT INTO config_generation (value) VALUES (random());
                CREATE TRIGGER lead_status_insert_bumps_generation AFTER INSERT ON lead_status
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_status_update_bumps_generation AFTER UPDATE ON lead_status
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_status_delete_bumps_generation AFTER DELETE ON lead_status
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_type_insert_bumps_generation AFTER INSERT ON lead_type
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_type_update_bumps_generation AFTER UPDATE ON lead_type
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_type_delete_bumps_generation AFTER DELETE ON lead_type
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER catalog_item_insert_bumps_generation AFTER INSERT ON catalog_item
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER catalog_item_update_bumps_generation AFTER UPDATE ON catalog_item
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER catalog_item_delete_bumps_generation AFTER DELETE ON catalog_item
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER level_label_insert_bumps_generation AFTER INSERT ON level_label
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER level_label_update_bumps_generation AFTER UPDATE ON level_label
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER level_label_delete_bumps_generation AFTER DELETE ON level_label
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_definition_insert_bumps_generation AFTER INSERT ON lead_definition
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_definition_update_bumps_generation AFTER UPDATE ON lead_definition
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER lead_definition_delete_bumps_generation AFTER DELETE ON lead_definition
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER custom_field_insert_bumps_generation AFTER INSERT ON custom_field
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER custom_field_update_bumps_generation AFTER UPDATE ON custom_field
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER custom_field_delete_bumps_generation AFTER DELETE ON custom_field
                BEGIN UPDATE config_generation SET value = random(); END;
                """)
        }
        migrator.registerMigration("v6: indexes for the lists' usual filters (seed 002)") { db in
            // Indexes for the lists' usual filters.
            try db.execute(sql: """
                CREATE INDEX "lead_on_campaign" ON "lead"("campaign");
                CREATE INDEX "lead_on_channel" ON "lead"("channel");
                CREATE INDEX "lead_on_region" ON "lead"("region");
                """)
        }
        migrator.registerMigration("v7: one index for the campaign, region and state views") { db in
            // The usual sales views narrow by campaign, then region, then state, newest first. With all
            // four in one index such a page and its exact count read only the index entries of the
            // matches; the campaign-only index is its prefix, so it goes.
            try db.execute(sql: """
                DROP INDEX "lead_on_campaign";
                CREATE INDEX "lead_on_campaign_region_state" ON "lead"("campaign", "region", "state", "created_at");
                """)
        }
        migrator.registerMigration("v8: contacts keyed by contact, one B-tree") { db in
            // Keyed by (kind, value, lead): a duplicate lookup reads a prefix of the key, and a new
            // contact costs one B-tree insert where the rowid table with its two indexes cost three. Rows
            // are removed by their keys (LeadStore.unindexContacts), not by cascade.
            try db.execute(sql: """
                CREATE TABLE "lead_contact_v8" ("kind" TEXT NOT NULL, "value" TEXT NOT NULL, "lead_id" INTEGER NOT NULL, PRIMARY KEY ("kind", "value", "lead_id")) WITHOUT ROWID;
                INSERT INTO lead_contact_v8 (kind, value, lead_id) SELECT kind, value, lead_id FROM lead_contact;
                DROP TABLE "lead_contact";
                ALTER TABLE "lead_contact_v8" RENAME TO "lead_contact";
                """)
        }
        migrator.registerMigration("v9: assignment rules cached with the configuration") { db in
            // Every create and import tries the rules; read once per change, not once per lead: rule
            // changes move the configuration's generation.
            try db.execute(sql: """
                CREATE TRIGGER assignment_rule_insert_bumps_generation AFTER INSERT ON assignment_rule
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER assignment_rule_update_bumps_generation AFTER UPDATE OF name, position, condition, unit_id, user_id, round_robin, active, version ON assignment_rule
                BEGIN UPDATE config_generation SET value = random(); END;
                CREATE TRIGGER assignment_rule_delete_bumps_generation AFTER DELETE ON assignment_rule
                BEGIN UPDATE config_generation SET value = random(); END;
                """)
        }
        migrator.registerMigration("v10: creation history read from the creation event") { db in
            // A creation's history entry names the event that holds the lead as created instead of listing
            // every field again. Entries written before keep their changes; 0 means the changes are in the
            // entry.
            try db.execute(sql: """
                ALTER TABLE "history" ADD COLUMN "creation_event" INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v11: idempotency keys bound to their request") { db in
            // The kit's shape of the table: a key reused with another request is refused, not answered
            // with the first answer. Keys stored before carry no hash and replay as before.
            try db.execute(sql: """
                ALTER TABLE idempotency ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
                CREATE INDEX idempotency_on_created_at ON idempotency (created_at);
                """)
        }
        migrator.registerMigration("v12: duplicate fields chosen by the lead definition") { db in
            // Empty is the rule before: e-mails and phones, which lead_contact already indexes.
            try db.execute(sql: """
                ALTER TABLE "lead_definition" ADD COLUMN "duplicate_fields" TEXT NOT NULL DEFAULT '[]';
                """)
        }
        migrator.registerMigration("v13: web forms") { db in
            try db.execute(sql: """
                CREATE TABLE "web_form" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "public_id" TEXT NOT NULL UNIQUE, "name" TEXT NOT NULL,
                  "fields" TEXT NOT NULL, "type_id" INTEGER NOT NULL, "source_type_id" INTEGER NOT NULL, "source" TEXT NOT NULL,
                  "campaign" TEXT NOT NULL, "channel" TEXT NOT NULL, "owner_id" INTEGER NOT NULL, "redirect_url" TEXT NOT NULL,
                  "hosted_page" BOOLEAN NOT NULL, "min_fill_seconds" INTEGER NOT NULL, "active" BOOLEAN NOT NULL,
                  "version" INTEGER NOT NULL, "created_at" INTEGER NOT NULL, "updated_at" INTEGER NOT NULL);
                """)
        }
        return migrator
    }
}
