import Foundation
import GRDB
import GRDBSQLite

// Hot statements (an import's million inserts) bind their values straight through SQLite's C
// API: GRDB's `StatementArguments` boxes every value as an existential and validates the
// bindings on each call, which costs more than SQLite's own work on such a row.
extension Statement {
    /// Executes the statement once with `values` bound to its parameters in order.
    public func execute(values: [DatabaseValue]) throws {
        try bind(values)
        try execute()
    }

    /// The first column of the first row the statement returns with `values` bound, if any.
    public func fetchInt64(values: [DatabaseValue]) throws -> Int64? {
        try bind(values)
        return try Int64.fetchOne(self)
    }

    /// Binds `values`; `execute()` and the fetches without arguments then use them.
    private func bind(_ values: [DatabaseValue]) throws {
        // Resets the statement and clears its bindings, and tells GRDB that what is bound is
        // what the statement runs with (so its next execution does not bind again).
        setUncheckedArguments(StatementArguments())
        guard values.count == Int(sqlite3_bind_parameter_count(sqliteStatement)) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(sqliteStatement)) parameters", sql: sql)
        }
        for (i, value) in values.enumerated() {
            let index = CInt(i + 1)
            let code: CInt
            switch value.storage {
            case .null: code = sqlite3_bind_null(sqliteStatement, index)
            case .int64(let n): code = sqlite3_bind_int64(sqliteStatement, index, n)
            case .double(let d): code = sqlite3_bind_double(sqliteStatement, index, d)
            case .string(let s):
                // The byte count, not NUL-termination: a string may hold a NUL.
                code = s.withCString { sqlite3_bind_text(sqliteStatement, index, $0, CInt(s.utf8.count), Self.transient) }
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(sqliteStatement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), CInt(bytes.count), Self.transient)
                }
            }
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind value \(i + 1)", sql: sql) }
        }
    }

    /// SQLITE_TRANSIENT: SQLite copies the value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
