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
        service = try ServiceDatabase(path: path, label: "crm-leads", prepare: { db in
            // A page cache big enough for a chunk of an import (SQLite's default is 2 MB, which
            // spills and re-reads pages), and reads through mmap so that readers share the OS cache.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }, migrator: Self.migrator)
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

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: directory, events, idempotency") { db in
            try db.create(table: "unit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique(onConflict: .abort).collate(.nocase)
                t.column("kind", .text).notNull()
                t.column("manager_id", .integer)  // users reference units too; checked by the store
                t.column("active", .boolean).notNull()
                t.column("version", .integer).notNull()
                t.column("created_at", .integer).notNull()
            }
            try db.create(table: "user") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("login", .text).notNull().unique(onConflict: .abort)
                t.column("name", .text).notNull()
                t.column("email", .text).notNull()
                t.column("role", .text).notNull()
                t.column("unit_id", .integer).references("unit")
                t.column("active", .boolean).notNull()
                t.column("password_hash", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("created_at", .integer).notNull()
                t.column("updated_at", .integer).notNull()
            }
            try db.create(index: "user_on_unit", on: "user", columns: ["unit_id"])
            // The transactional outbox: one row per committed change, in commit order.
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("sequence")
                t.column("type", .integer).notNull()
                t.column("entity_id", .integer).notNull()
                t.column("at", .integer).notNull()
                t.column("actor_id", .integer).notNull()
                t.column("payload", .blob).notNull()
            }
            // The first answer to each idempotent call, by caller, method and key.
            try db.create(table: "idempotency") { t in
                t.column("caller_id", .integer).notNull()
                t.column("method", .text).notNull()
                t.column("key", .text).notNull()
                t.column("response", .blob).notNull()
                t.column("created_at", .integer).notNull()
                t.primaryKey(["caller_id", "method", "key"])
            }
        }
        migrator.registerMigration("v2: lead configuration, seeded") { db in
            try ConfigStore.createTables(db)
            try ConfigStore.insertAll(db, DefaultConfiguration.value)
        }
        migrator.registerMigration("v3: leads, contacts, notes, history, read marks") { db in
            try LeadStore.createTables(db)
        }
        migrator.registerMigration("v4: assignments and assignment rules") { db in
            try AssignmentStore.createTables(db)
        }
        migrator.registerMigration("v5: conversions, configuration generation") { db in
            try ConversionStore.createTables(db)
            try ConfigurationCache.createTables(db)
        }
        migrator.registerMigration("v6: indexes for the lists' usual filters (seed 002)") { db in
            for column in ["campaign", "channel", "region"] {
                try db.create(index: "lead_on_\(column)", on: "lead", columns: [column])
            }
        }
        migrator.registerMigration("v7: one index for the campaign, region and state views") { db in
            // The usual sales views narrow by campaign, then region, then state, newest first
            // of a sales team. With all four in one index such a page and its exact count read only the
            // index entries of the matches; the campaign-only index is its prefix, so it goes.
            try db.drop(index: "lead_on_campaign")
            try db.create(index: "lead_on_campaign_region_state", on: "lead", columns: ["campaign", "region", "state", "created_at"])
        }
        migrator.registerMigration("v8: contacts keyed by contact, one B-tree") { db in
            // Keyed by (kind, value, lead): a duplicate lookup reads a prefix of the key, and a
            // new contact costs one B-tree insert where the rowid table with its two indexes cost
            // three. Rows are removed by their keys (LeadStore.unindexContacts), not by cascade.
            try db.create(table: "lead_contact_v8", options: .withoutRowID) { t in
                t.column("kind", .text).notNull()  // "email" or "phone"
                t.column("value", .text).notNull()
                t.column("lead_id", .integer).notNull()
                t.primaryKey(["kind", "value", "lead_id"])
            }
            try db.execute(sql: "INSERT INTO lead_contact_v8 (kind, value, lead_id) SELECT kind, value, lead_id FROM lead_contact")
            try db.drop(table: "lead_contact")
            try db.rename(table: "lead_contact_v8", to: "lead_contact")
        }
        migrator.registerMigration("v9: assignment rules cached with the configuration") { db in
            // Every create and import tries the rules; read once per change, not once per lead.
            try ConfigurationCache.watchAssignmentRules(db)
        }
        migrator.registerMigration("v10: creation history read from the creation event") { db in
            // A creation's history entry names the event that holds the lead as created instead
            // of listing every field again (the largest thing a new lead wrote). Entries written
            // before keep their changes; 0 means the changes are in the entry.
            try db.alter(table: "history") { t in t.add(column: "creation_event", .integer).notNull().defaults(to: 0) }
        }
        migrator.registerMigration("v11: idempotency keys bound to their request") { db in
            // The kit's shape of the table: a key reused with another request is refused, not
            // answered with the first answer. Keys stored before carry no hash and replay as before.
            try db.execute(sql: """
                ALTER TABLE idempotency ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
                CREATE INDEX idempotency_on_created_at ON idempotency (created_at);
                """)
        }
        return migrator
    }
}
