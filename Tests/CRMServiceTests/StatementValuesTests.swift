import Foundation
import GRDB
import GRDBSQLite
import Testing
@testable import CRMService

@Suite("Statements bound through SQLite's C API", .timeLimit(.minutes(3)))
struct StatementValuesTests {
    @Test("every kind of value is stored as it was given, a NUL inside text included, and a statement is reused")
    func values() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b, c, d, e)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)")
            try insert.execute(values: [Int64.min.databaseValue, 2.5.databaseValue, "zero\u{0}byte ñ".databaseValue, Data([0, 1, 255]).databaseValue, .null])
            try insert.execute(values: [7.databaseValue, DatabaseValue.null, "".databaseValue, Data().databaseValue, "é".databaseValue])
            let rows = try Row.fetchAll(db, sql: "SELECT a, b, c, d, e FROM t ORDER BY rowid")
            #expect(rows[0]["a"] as Int64 == .min)
            #expect(rows[0]["b"] as Double == 2.5)
            // Every byte is stored (GRDB itself reads text only up to a NUL).
            #expect(try Data.fetchOne(db, sql: "SELECT CAST(c AS BLOB) FROM t WHERE rowid = 1") == Data("zero\u{0}byte ñ".utf8))
            #expect(rows[0]["d"] as Data == Data([0, 1, 255]))
            #expect(rows[0]["e"] as DatabaseValue == .null)
            #expect(rows[1]["a"] as Int64 == 7)
            #expect(rows[1]["b"] as DatabaseValue == .null)
            #expect(rows[1]["c"] as String == "")
            #expect(rows[1]["e"] as String == "é")
            let select = try db.cachedStatement(sql: "SELECT rowid FROM t WHERE c = ?")
            #expect(try select.fetchInt64(values: ["".databaseValue]) == 2)
            #expect(try select.fetchInt64(values: ["zero\u{0}byte ñ".databaseValue]) == 1)
            #expect(try select.fetchInt64(values: ["none".databaseValue]) == nil)
        }
    }

    @Test("too few or too many values are an error, and nothing is written")
    func wrongCount() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b) VALUES (?, ?)")
            #expect(throws: DatabaseError.self) { try insert.execute(values: [1.databaseValue]) }
            #expect(throws: DatabaseError.self) { try insert.execute(values: [1.databaseValue, 2.databaseValue, 3.databaseValue]) }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 0)
        }
    }

    @Test("a refused row is a DatabaseError with SQLite's extended code and message, and the statement runs again after it")
    func constraintError() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL UNIQUE)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b) VALUES (?, ?)")
            try insert.execute(values: [1.databaseValue, "x".databaseValue])
            let error = #expect(throws: DatabaseError.self) { try insert.execute(values: [2.databaseValue, "x".databaseValue]) }
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
            #expect(error?.message?.contains("t.b") == true)
            try insert.execute(values: [3.databaseValue, "y".databaseValue])
            #expect(try Int.fetchAll(db, sql: "SELECT a FROM t ORDER BY a") == [1, 3])
        }
    }

    @Test("values built ahead (listed, appended, joined) bind in order, and the statement keeps no pointer into them once run")
    func builtAhead() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b, c, d, e, f)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?)")
            var values = StatementValues(Int64(1), "uno", [UInt8]([9, 0, 9]))
            values.append(contentsOf: StatementValues("", true, Int32(-2)))
            try insert.execute(values)
            #expect(values.count == 6)
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM t"))
            #expect(row["a"] as Int64 == 1 && row["b"] as String == "uno" && row["c"] as Data == Data([9, 0, 9]))
            #expect(row["d"] as String == "" && row["e"] as Int64 == 1 && row["f"] as Int64 == -2)
            // Bindings are cleared after the run: the statement shows NULLs, not the freed bytes.
            let sql = sqlite3_expanded_sql(insert.sqliteStatement)
            defer { sqlite3_free(sql) }
            let expanded = sql.map { String(cString: $0) }
            #expect(expanded == "INSERT INTO t (a, b, c, d, e, f) VALUES (NULL, NULL, NULL, NULL, NULL, NULL)")
        }
    }
}
