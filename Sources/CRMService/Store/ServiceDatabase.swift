import Foundation
import GRDB

/// A service's SQLite database as the kit opens it: durable WAL (every answered write is on
/// disk), foreign keys, a busy timeout, group commit for writes, the tables every service has
/// (the event outbox and idempotency keys, from `sharedMigrations`) and the service's own
/// migrations after them. Every commit wakes the event feed's watchers (`commits`), so a
/// change that appended an event is streamed without anyone remembering to signal it.
public final class ServiceDatabase: Sendable {
    public let pool: DatabasePool
    private let group: GroupCommit
    /// Yields after each commit; what `EventFeed.watch` waits on.
    public let commits = CommitSignal()

    /// Opens (creating if needed) the database at `path` and migrates it with `migrator`
    /// (`ServiceDatabase.migrator` puts the kit's shared tables first). `prepare` runs on every
    /// connection (pragmas such as the page cache).
    public init(path: String, label: String, prepare: (@Sendable (Database) throws -> Void)? = nil, migrator: DatabaseMigrator) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = label
        if let prepare { configuration.prepareDatabase(prepare) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Durable: a call is answered only once its commit is on disk; group commit is what
        // keeps durable writes fast.
        pool = try DatabasePool.durable(path: path, configuration: configuration)
        try migrator.migrate(pool)
        group = GroupCommit(pool)
    }

    /// The connection settings of a store that holds many rows behind many indexes (crm-leads'
    /// leads, crm-reports' read model): a page cache big enough for a batch of writes (SQLite's
    /// default is 2 MB, which spills and re-reads pages), and reads through mmap so that readers
    /// share the OS cache. Temporary files stay files: with `temp_store = MEMORY` the savepoint
    /// journal of a big transaction is an in-memory list that SQLite walks from its start on every
    /// access (a profile of the reports' catch-up spent 60% of its time there).
    public static let largeStore: @Sendable (Database) throws -> Void = { db in
        try db.execute(sql: "PRAGMA cache_size = -65536")
        try db.execute(sql: "PRAGMA mmap_size = 1073741824")
    }

    /// The kit's shared migrations (the outbox and idempotency keys), then the service's own
    /// (frozen SQL: a shipped one is never edited).
    public static func migrator(_ register: (inout DatabaseMigrator) -> Void) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerSharedMigrations(&migrator)
        register(&migrator)
        return migrator
    }

    /// Runs `body` in a transaction of its own, without the savepoint a group transaction
    /// gives each call: for a large batch from a writer that works alone (a feed follower
    /// applying a thousand events), where SQLite would journal every page the savepoint touches
    /// to a temporary file only to throw the journal away. Returns once committed and on disk.
    public func writeBatch<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = try await pool.write(body)
        commits.signal()
        return result
    }

    /// Runs `body` atomically, in a savepoint of the next group transaction, and returns once
    /// it is committed and on disk.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = try await group.write(body)
        commits.signal()
        return result
    }

    /// Runs `body` on a snapshot of the committed data.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Closes the database; writes already queued finish first.
    public func close() throws {
        group.close()
        commits.finish()
        try pool.close()
    }

    /// The tables every service has, frozen: never edit one that has shipped. (crm-leads made
    /// the same two tables in its own first migration, before the kit existed, and brought them
    /// to this shape in its v11.)
    static func registerSharedMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("kit v1: event outbox and idempotency keys") { db in
            // The transactional outbox: one row per committed change, in commit order.
            try db.execute(sql: """
                CREATE TABLE event (
                  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                  type INTEGER NOT NULL,
                  entity_id INTEGER NOT NULL,
                  at INTEGER NOT NULL,
                  actor_id INTEGER NOT NULL,
                  payload BLOB NOT NULL);
                CREATE TABLE idempotency (
                  caller_id INTEGER NOT NULL,
                  method TEXT NOT NULL,
                  key TEXT NOT NULL,
                  request_hash TEXT NOT NULL,
                  response BLOB NOT NULL,
                  created_at INTEGER NOT NULL,
                  PRIMARY KEY (caller_id, method, key));
                CREATE INDEX idempotency_on_created_at ON idempotency (created_at);
                """)
        }
    }
}
