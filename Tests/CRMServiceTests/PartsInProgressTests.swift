import Foundation
import Testing
@testable import CRMService

@Suite("Parts in progress: work done in parts on the blocking pool, taken in order as it is ready", .timeLimit(.minutes(3)))
struct PartsInProgressTests {
    struct Stop: Error {}

    /// Runs `body` on a thread of its own, which may block (the cooperative pool's may not).
    private func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    @Test("every index's result comes once and in order, whatever order the parts finish in")
    func inOrder() async throws {
        // Later parts finish first: each part sleeps less than the one before it.
        let parts = PartsInProgress(count: 1_003, partSize: 100) { range in
            Thread.sleep(forTimeInterval: Double(20 - range.lowerBound / 100) / 2_000)
            return range.map { $0 * 2 }
        }
        #expect(parts.ranges.count == 11)
        #expect(parts.ranges.last == 1_000..<1_003)
        let seen = try await onOwnThread {
            var seen: [Int] = []
            try parts.forEach { seen.append($0) }
            return seen
        }
        #expect(seen == (0..<1_003).map { $0 * 2 })
    }

    @Test("nothing to do is no part; an error from the consumer stops it and comes out of forEach")
    func emptyAndStopped() async throws {
        let none = PartsInProgress(count: 0, partSize: 10) { range in Array(range) }
        #expect(none.ranges.isEmpty)
        #expect(try await onOwnThread { var n = 0; try none.forEach { _ in n += 1 }; return n } == 0)

        let parts = PartsInProgress(count: 50, partSize: 10) { range in Array(range) }
        let taken = try await onOwnThread { () -> [Int] in
            var taken: [Int] = []
            #expect(throws: Stop.self) {
                try parts.forEach { n in
                    if n == 25 { throw Stop() }
                    taken.append(n)
                }
            }
            return taken
        }
        #expect(taken == Array(0..<25))
    }
}
