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
    public func execute(_ values: StatementValues) throws {
        try run(values) { statement in
            var code = sqlite3_step(statement)
            while code == SQLITE_ROW { code = sqlite3_step(statement) }
            guard code == SQLITE_DONE else { throw failure(code) }
        }
    }

    /// The first column of the first row the statement returns with `values` bound, if any.
    public func fetchInt64(_ values: StatementValues) throws -> Int64? {
        try run(values) { statement in
            switch sqlite3_step(statement) {
            case SQLITE_ROW: return sqlite3_column_type(statement, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, 0)
            case SQLITE_DONE: return nil
            case let code: throw failure(code)
            }
        }
    }

    public func execute(values: [DatabaseValue]) throws {
        try execute(StatementValues(values))
    }

    public func fetchInt64(values: [DatabaseValue]) throws -> Int64? {
        try fetchInt64(StatementValues(values))
    }

    /// Binds `values` by pointer (no destructor: SQLITE_STATIC), runs `body`, then resets the statement and
    /// clears its bindings while the bytes are still there, so that it never keeps a pointer
    /// into them.
    private func run<T>(_ values: StatementValues, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        guard values.count == Int(sqlite3_bind_parameter_count(statement)) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(statement)) parameters", sql: sql)
        }
        return try values.bytes.withUnsafeBufferPointer { buffer in
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            // Any non-null pointer will do for an empty text or blob (SQLite reads no byte of it).
            let base = UnsafeRawPointer(buffer.baseAddress) ?? UnsafeRawPointer(bitPattern: 1)!
            for (i, slot) in values.slots.enumerated() {
                let index = CInt(i + 1)
                let code: CInt
                switch slot {
                case .null: code = sqlite3_bind_null(statement, index)
                case .integer(let n): code = sqlite3_bind_int64(statement, index, n)
                case .real(let d): code = sqlite3_bind_double(statement, index, d)
                case .text(let start, let count):
                    code = sqlite3_bind_text(statement, index, (base + start).assumingMemoryBound(to: CChar.self), CInt(count), nil)
                case .blob(let start, let count):
                    code = sqlite3_bind_blob(statement, index, base + start, CInt(count), nil)
                }
                guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind value \(i + 1)", sql: sql) }
            }
            return try body(statement)
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
}
