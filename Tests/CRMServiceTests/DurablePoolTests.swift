import Foundation
import GRDB
import Testing
@testable import CRMService

@Suite("Durable pools", .timeLimit(.minutes(3)))
struct DurablePoolTests {
    @Test("a durable pool's writer syncs every commit (synchronous = FULL, where GRDB's WAL setup leaves NORMAL)")
    func synchronousFull() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.sqlite").path
        let plain = try DatabasePool(path: path)
        #expect(try plain.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)  // NORMAL
        try plain.close()
        let pool = try DatabasePool.durable(path: path, configuration: Configuration())
        #expect(try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)  // FULL
        #expect(try pool.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        try pool.close()
    }
}
