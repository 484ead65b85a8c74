import CRMRPC
import CRMService
import Foundation
import Testing

/// Costly work bounded: a few run, a few wait, the rest are refused at once (issue 18 item 5).
@Suite("the kit's work limit", .timeLimit(.minutes(1)))
struct WorkLimitTests {
    @Test("one runs and one waits; a third is RESOURCE_EXHAUSTED at once; the waiter runs when the first ends")
    func bounded() async throws {
        let limit = WorkLimit("imports", running: 1, waiting: 1)
        let gate = Gate()
        let first = Task { try await limit.run { () async -> Int in
            while !gate.open.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return 1
        } }
        try await Task.sleep(for: .milliseconds(50))
        let second = Task { try await limit.run { 2 } }
        try await Task.sleep(for: .milliseconds(50))
        let refused = await #expect(throws: RPCError.self) { try await limit.run { 3 } }
        #expect(refused?.code == .resourceExhausted && refused?.message.contains("imports") == true)
        #expect(limit.inProgress == 1)
        gate.open.withLock { $0 = true }
        #expect(try await first.value == 1)
        #expect(try await second.value == 2)
        #expect(limit.inProgress == 0)
        #expect(try await limit.run { 4 } == 4)
    }
}
