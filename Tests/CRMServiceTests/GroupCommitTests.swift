import Foundation
import GRDB
import Testing
@testable import CRMService

@Suite("Group commit: calls share transactions, each answered after its commit")
struct GroupCommitTests {
    struct Refused: Error {}

    @Test("concurrent calls all commit, a call that throws undoes only its own changes, and answers come after the commit")
    func concurrentCalls() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pool = try DatabasePool(path: folder.appendingPathComponent("g.sqlite").path)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        let commits = GroupCommit(pool, maxBatch: 8)
        let results = await withTaskGroup(of: (Int, Result<Int64, any Error>).self) { group in
            for n in 0..<64 {
                group.addTask {
                    let result: Result<Int64, any Error>
                    do {
                        result = .success(try await commits.write { db in
                            try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n])
                            if n % 10 == 3 { throw Refused() }  // after its insert, which must be undone
                            return try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE n = ?", arguments: [n]) ?? 0
                        })
                    } catch {
                        result = .failure(error)
                    }
                    // Answered only once committed: a fresh read already sees the row.
                    if case .success = result {
                        let seen = try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE n = ?", arguments: [n]) }
                        #expect(seen == 1)
                    }
                    return (n, result)
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 64)
        for (n, result) in results {
            switch result {
            case .success(let count): #expect(n % 10 != 3 && count == 1)
            case .failure(let error): #expect(n % 10 == 3 && error is Refused)
            }
        }
        let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == (0..<64).filter { $0 % 10 != 3 })
    }
}
