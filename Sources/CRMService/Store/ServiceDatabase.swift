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

    /// Opens (creating if needed) the database at `path` and migrates it: first the shared
    /// migrations, then `migrations` (frozen SQL; a shipped one is never edited).
    public init(path: String, label: String, migrations: (inout DatabaseMigrator) -> Void) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = label
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        pool = try DatabasePool.durable(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        Self.registerSharedMigrations(&migrator)
        migrations(&migrator)
        try migrator.migrate(pool)
        group = GroupCommit(pool)
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

    /// The tables every service has, frozen: never edit one that has shipped.
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
