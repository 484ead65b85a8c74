import CRMRPC
import NIOConcurrencyHelpers

/// Bounds a kind of costly work (a CSV import, a rebuild): a few run at once, a few more wait
/// their turn, and one more is refused at once with RESOURCE_EXHAUSTED, so that eight big
/// requests sent together cost what two do. When the last one ends, the memory they used is
/// handed back to the system (glibc keeps freed pages for the process otherwise).
public final class WorkLimit: Sendable {
    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Admitted to the queue and not yet in `waiters`.
        var joining = 0
    }

    /// What the work is, for the refusal ("imports").
    public let name: String
    public let running: Int
    public let waiting: Int
    private let state = NIOLockedValueBox(State())

    public init(_ name: String, running: Int, waiting: Int) {
        self.name = name
        self.running = max(1, running)
        self.waiting = max(0, waiting)
    }

    private enum Admission { case now, queued, refused }

    /// Runs `body` once a place is free; RESOURCE_EXHAUSTED when every place and queue slot is taken.
    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let admission: Admission = state.withLockedValue { state in
            if state.running < running {
                state.running += 1
                return .now
            }
            guard state.waiters.count + state.joining < waiting else { return .refused }
            state.joining += 1
            return .queued
        }
        switch admission {
        case .refused:
            throw RPCError(.resourceExhausted, "\(running) \(name) are running and \(waiting) waiting, the most this service takes; try again when one has finished")
        case .queued:
            await withCheckedContinuation { continuation in
                let started = state.withLockedValue { state -> Bool in
                    state.joining -= 1
                    // A place may have come free since the first look.
                    if state.running < running {
                        state.running += 1
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if started { continuation.resume() }
            }
        case .now:
            break
        }
        defer { finished() }
        return try await body()
    }

    /// Hands the place to the next waiter, or frees it.
    private func finished() {
        let (next, idle) = state.withLockedValue { state -> (CheckedContinuation<Void, Never>?, Bool) in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
            state.running -= 1
            return (nil, state.running == 0)
        }
        next?.resume()
        if idle { MemoryTrim.released(MemoryTrim.threshold) }
    }

    /// Work running now (for tests and metrics).
    public var inProgress: Int { state.withLockedValue { $0.running } }
}
