import GRDB

extension DatabasePool {
    /// A pool whose writes are on disk when their commit returns: WAL, with the writer syncing
    /// it on every commit (`synchronous = FULL`). What every service's store opens.
    public static func durable(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Set here, once the pool exists: GRDB turns WAL on with `synchronous = NORMAL` after
        // `prepareDatabase` has run, which would undo it there.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        return pool
    }
}
