import Foundation
import NIOPosix

/// Work split into parts that run on NIO's blocking pool while one consumer takes the results in
/// order, each part's as soon as it is ready. An import checks its rows this way while the writer
/// stores the rows before them, so that the two overlap instead of adding up.
public final class PartsInProgress<Element: Sendable>: @unchecked Sendable {
    /// The parts of `0..<count`, in order.
    public let ranges: [Range<Int>]
    private let pool: NIOThreadPool
    // Guarded by `condition`: each part's results once done (nil again once taken).
    private let condition = NSCondition()
    private var done: [Result<[Element], any Error>?]

    /// Starts `work` on each part of `0..<count`, of `partSize` indices (the last may be
    /// smaller). The pool runs parts in order, as many at a time as it has threads.
    public init(count: Int, partSize: Int, pool: NIOThreadPool = .singleton, _ work: @escaping @Sendable (Range<Int>) -> [Element]) {
        precondition(partSize > 0, "a part holds at least one index")
        self.pool = pool
        ranges = stride(from: 0, to: count, by: partSize).map { $0..<min($0 + partSize, count) }
        done = Array(repeating: nil, count: ranges.count)
        for (index, range) in ranges.enumerated() {
            pool.submit { state in
                guard case .active = state else { return self.finish(index, .failure(CancellationError())) }
                self.finish(index, .success(work(range)))
            }
        }
    }

    /// Calls `body` with every result in order, waiting for each part as it comes to it.
    /// Blocks the calling thread, so it is for threads that may wait (a database writer's),
    /// never an event loop or the cooperative pool.
    public func forEach(_ body: (Element) throws -> Void) throws {
        for index in ranges.indices {
            let part = try take(index)
            for element in part { try body(element) }
            // Freeing a part (the strings and arrays of its elements) is work the consumer need
            // not wait for: the pool drops the last reference.
            pool.submit { _ in withExtendedLifetime(part) {} }
        }
    }

    private func finish(_ index: Int, _ result: Result<[Element], any Error>) {
        condition.lock()
        done[index] = result
        condition.broadcast()
        condition.unlock()
    }

    private func take(_ index: Int) throws -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        while done[index] == nil { condition.wait() }
        defer { done[index] = .success([]) }  // taken: its memory can go
        return try done[index]!.get()
    }
}
