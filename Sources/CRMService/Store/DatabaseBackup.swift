import Foundation
import GRDB

/// Online backup and restore of a service's database, with SQLite's backup API.
///
/// A backup reads the database as one snapshot while the service keeps serving (WAL: the
/// service's writes go on, and are not in the copy unless they committed before it began),
/// writes it beside the destination, checks it (`PRAGMA integrity_check`) and only then moves
/// it into place, so a destination is always a whole, checked database. A restore checks the
/// backup the same way, refuses while any process has the database open (the service must be
/// stopped), keeps the database it replaces beside it, and moves the backup into place.
public enum DatabaseBackup {
    public struct Summary: Sendable {
        /// The database's size, in bytes.
        public var bytes: Int
        /// The events in its feed, and the last one's sequence.
        public var events: Int
        public var lastSequence: Int64
    }

    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case notChecked(String, [String])
        case inUse(String)

        public var description: String {
            switch self {
            case .missing(let path): return "\(path) does not exist"
            case .notChecked(let path, let problems): return "\(path) fails PRAGMA integrity_check: \(problems.prefix(3).joined(separator: "; "))"
            case .inUse(let path): return "\(path) is open in another process: stop the service before restoring"
            }
        }
    }

    /// Copies the database at `databasePath` into `destination`, and returns what it holds.
    @discardableResult
    public static func backup(databasePath: String, to destination: String) throws -> Summary {
        guard FileManager.default.fileExists(atPath: databasePath) else { throw Failure.missing(databasePath) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Not opened read-only: a WAL database without its shared-memory file (the service
        // stopped) can only be read by a connection that may create it. Nothing is written.
        let source = try DatabaseQueue(path: databasePath, configuration: configuration)
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let copy = try DatabaseQueue(path: partial)
            // One step: the whole copy reads one snapshot, and the service's writer never waits.
            try source.backup(to: copy)
            try copy.close()
            try source.close()
            let summary = try check(partial)
            try syncFile(partial)
            try moveIntoPlace(partial, destination)
            return summary
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Puts the backup at `backup` in place of the database at `databasePath` (which is kept as
    /// `databasePath.before-restore`), once the backup passes its check and nothing has the
    /// database open.
    @discardableResult
    public static func restore(from backup: String, to databasePath: String) throws -> Summary {
        guard FileManager.default.fileExists(atPath: backup) else { throw Failure.missing(backup) }
        let summary = try check(backup)
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: databasePath) {
            try requireUnused(databasePath)
            let kept = databasePath + ".before-restore"
            try? fileManager.removeItem(atPath: kept)
            try fileManager.moveItem(atPath: databasePath, toPath: kept)
            for suffix in ["-wal", "-shm"] { try? fileManager.removeItem(atPath: databasePath + suffix) }
        } else {
            try fileManager.createDirectory(at: URL(fileURLWithPath: databasePath).deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        let incoming = databasePath + ".restoring"
        try? fileManager.removeItem(atPath: incoming)
        try fileManager.copyItem(atPath: backup, toPath: incoming)
        try syncFile(incoming)
        try moveIntoPlace(incoming, databasePath)
        return summary
    }

    /// Opens `path` alone and checks it; returns what it holds.
    private static func check(_ path: String) throws -> Summary {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard problems == ["ok"] else { throw Failure.notChecked(path, problems) }
            let hasFeed = try db.tableExists("event")
            let events = hasFeed ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0 : 0
            let last = hasFeed ? try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM event") ?? 0 : 0
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return Summary(bytes: pages * pageSize, events: events, lastSequence: last)
        }
    }

    /// Fails when another connection (the service) has the database open: an exclusive lock in
    /// exclusive locking mode is only granted to a database nobody else holds, WAL or not.
    private static func requireUnused(_ path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let probe = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? probe.close() }
        do {
            try probe.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "COMMIT")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw Failure.inUse(path)
        }
    }

    /// rename(2): atomic, and replaces what is there.
    private static func moveIntoPlace(_ from: String, _ to: String) throws {
        guard rename(from, to) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: to, NSLocalizedDescriptionKey: "cannot move \(from) to \(to): \(String(cString: strerror(errno)))"])
        }
    }

    private static func syncFile(_ path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.synchronize()
    }
}
