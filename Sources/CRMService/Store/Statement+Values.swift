import Foundation
import GRDB
import GRDBSQLite

// Hot statements (an import's million inserts, every create) run straight through SQLite's C
// API: GRDB's `StatementArguments` boxes every value as an existential and validates the
// bindings on each call, and its bookkeeping around each step (queue checks, transaction and
// observation tracking) costs more than SQLite's own work on such a row. That bookkeeping is
// for statements that begin or end transactions and for observers, so these are for plain
// INSERT, UPDATE, DELETE and SELECT inside a transaction, on a database nothing observes, and a
// statement run this way is run only this way.
extension Statement {
    /// Executes the statement once with `values` bound to its parameters in order.
    public func execute(values: [DatabaseValue]) throws {
        try bind(values)
        defer { sqlite3_reset(sqliteStatement) }
        var code = sqlite3_step(sqliteStatement)
        while code == SQLITE_ROW { code = sqlite3_step(sqliteStatement) }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// The first column of the first row the statement returns with `values` bound, if any.
    public func fetchInt64(values: [DatabaseValue]) throws -> Int64? {
        try bind(values)
        defer { sqlite3_reset(sqliteStatement) }
        switch sqlite3_step(sqliteStatement) {
        case SQLITE_ROW: return sqlite3_column_type(sqliteStatement, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(sqliteStatement, 0)
        case SQLITE_DONE: return nil
        case let code: throw failure(code)
        }
    }

    /// Binds `values` in place of whatever was bound before.
    private func bind(_ values: [DatabaseValue]) throws {
        sqlite3_reset(sqliteStatement)
        sqlite3_clear_bindings(sqliteStatement)
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

    /// The error SQLite reports for a failed step, as GRDB would throw it.
    private func failure(_ code: CInt) -> DatabaseError {
        let connection = sqlite3_db_handle(sqliteStatement)
        // The extended code (SQLITE_CONSTRAINT_UNIQUE, say) is what GRDB reports too.
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: sql)
    }

    /// SQLITE_TRANSIENT: SQLite copies the value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
