import Foundation
import GRDB
import Synchronization
import Testing
@testable import CRMService

@Suite("Group commit: calls share transactions, each answered after its commit", .timeLimit(.minutes(3)))
struct GroupCommitTests {
    struct Refused: Error {}

    /// A flag one thread sets and another reads.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .sequentiallyConsistent) }
        var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    }

    /// A database in a folder of its own (the caller removes it) with one table, `t (n)`.
    static func database() async throws -> (DatabasePool, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: folder.appendingPathComponent("g.sqlite").path)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY)") }
        return (pool, folder)
    }

    @Test("concurrent calls all commit, a call that throws undoes only its own changes, and answers come after the commit")
    func concurrentCalls() async throws {
        let (pool, folder) = try await Self.database()
        defer { try? FileManager.default.removeItem(at: folder) }
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

    @Test("close waits for the calls already made, then refuses new ones; a call after the writing thread ended starts another")
    func closeAndRestart() async throws {
        let (pool, folder) = try await Self.database()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The writing thread ends 1 ms after its last call, so calls below find it gone.
        let commits = GroupCommit(pool, maxBatch: 4, linger: .milliseconds(1))
        for n in 0..<3 {
            try await commits.write { db in try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n]) }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Calls waiting when close is called are all committed and answered before it returns:
        // the first holds the writer until `gate` opens, the others queue behind it.
        let gate = DispatchSemaphore(value: 0)
        let holding = Flag()
        let calls = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await commits.write { db in
                        holding.set()
                        gate.wait()
                        try db.execute(sql: "INSERT INTO t (n) VALUES (3)")
                    }
                }
                while !holding.isSet { try await Task.sleep(for: .milliseconds(1)) }
                for n in 4..<40 {
                    group.addTask { try await commits.write { db in try db.execute(sql: "INSERT INTO t (n) VALUES (?)", arguments: [n]) } }
                }
                try await group.waitForAll()
            }
        }
        while commits.waiting < 36 { try await Task.sleep(for: .milliseconds(1)) }
        let closed = Flag()
        let closing = Thread {
            commits.close()
            closed.set()
        }
        closing.start()
        try await Task.sleep(for: .milliseconds(20))
        #expect(!closed.isSet)  // still waiting for the calls
        gate.signal()
        try await calls.value
        while !closed.isSet { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: DatabaseError.self) {
            try await commits.write { db in try db.execute(sql: "INSERT INTO t (n) VALUES (100)") }
        }
        let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") }
        #expect(stored == Array(0..<40))
    }
}
