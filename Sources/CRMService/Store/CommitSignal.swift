import Synchronization

/// Wakes every subscriber after a commit. Each subscription holds at most one pending wake-up
/// (a slow reader sees one for many commits and reads them all at once).
public final class CommitSignal: Sendable {
    private struct State {
        var waiters: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream that yields after each commit from now on, and ends when the database closes.
    public func subscribe() -> (id: Int, wakeups: AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int in
            state.nextID += 1
            if state.finished { continuation.finish() } else { state.waiters[state.nextID] = continuation }
            return state.nextID
        }
        return (id, stream)
    }

    public func unsubscribe(_ id: Int) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.finish()
    }

    public func signal() {
        let all = state.withLock { Array($0.waiters.values) }
        for continuation in all { continuation.yield() }
    }

    public func finish() {
        let all = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.finished = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in all { continuation.finish() }
    }
}
