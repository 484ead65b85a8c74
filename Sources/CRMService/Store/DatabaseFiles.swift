import Foundation

/// The files of a SQLite database in WAL mode: the database, its -wal and its -shm.
public enum DatabaseFiles {
    /// Their size together, in bytes (0 for files that do not exist).
    public static func size(_ path: String) -> Int64 {
        ["", "-wal", "-shm"].reduce(0) { total, suffix in
            let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.int64Value ?? 0
            return total + size
        }
    }
}
