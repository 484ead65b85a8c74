import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import GRDB
import Testing

/// An answer or event too big for a frame is refused before it commits (issue 18 item 1).
@Suite("the kit's answer budget", .timeLimit(.minutes(2)))
struct AnswerBudgetTests {
    func database() throws -> (ServiceDatabase, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-budget-\(UUID().uuidString)")
        let database = try ServiceDatabase(path: folder.appendingPathComponent("kit.sqlite").path, label: "budget", migrator: ServiceDatabase.migrator { migrator in
            migrator.registerMigration("thing") { db in try db.execute(sql: "CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT NOT NULL)") }
        })
        return (database, folder)
    }

    let context = ServerContext(method: MethodDescriptor(service: "crm.testing.v1.Echo", method: "Echo", kind: .unary))

    @Test("a change whose answer would outgrow a frame is RESOURCE_EXHAUSTED and is not committed, with or without an idempotency key")
    func oversizeAnswerRollsBack() async throws {
        let (database, folder) = try database()
        defer { try? FileManager.default.removeItem(at: folder) }
        let caller = Caller(userID: 1, role: .admin, unitID: 0)
        let huge = [UInt8](repeating: 7, count: AnswerBudget.answerBytes + 1)
        for key in ["", "key-1"] {
            let context = ServerContext(method: context.method, metadata: Metadata(idempotencyKey: key))
            let error = await #expect(throws: RPCError.self) {
                try await database.mutate(context, caller: caller, now: 1) { db -> TestingV1.EchoResponse in
                    try db.execute(sql: "INSERT INTO thing (name) VALUES ('lost')")
                    return TestingV1.EchoResponse(payload: huge)
                }
            }
            #expect(error?.code == .resourceExhausted)
        }
        let fits = try await database.mutate(context, caller: caller, now: 1) { db -> TestingV1.EchoResponse in
            try db.execute(sql: "INSERT INTO thing (name) VALUES ('kept')")
            return TestingV1.EchoResponse(payload: [UInt8](repeating: 7, count: 1_000_000))
        }
        #expect(fits.payload.count == 1_000_000)
        #expect(try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM thing") } == ["kept"])
        try database.close()
    }

    @Test("an event too big to send is refused with its change; a batch of events stops at half a frame")
    func events() async throws {
        let (database, folder) = try database()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = await #expect(throws: RPCError.self) {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO thing (name) VALUES ('lost')")
                _ = try EventOutbox.append(db, type: 1, entityID: 1, actorID: 1, at: 1, payload: [UInt8](repeating: 1, count: AnswerBudget.answerBytes + 1))
            }
        }
        #expect(error?.code == .resourceExhausted)
        try await database.write { db in
            for _ in 0..<5 { _ = try EventOutbox.append(db, type: 1, entityID: 1, actorID: 1, at: 1, payload: [UInt8](repeating: 1, count: 900_000)) }
        }
        let (count, first) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM thing") ?? -1, try EventOutbox.events(db, after: 0, limit: 1_000))
        }
        #expect(count == 0)
        #expect(first.count == 2)  // 1.8 MB of 2 MiB; a third would pass it
        let rest = try await database.read { db in try EventOutbox.events(db, after: first.last!.sequence, limit: 1_000) }
        #expect(rest.count == 2 && rest.last!.sequence == first.last!.sequence + 2)
        try database.close()
    }
}
