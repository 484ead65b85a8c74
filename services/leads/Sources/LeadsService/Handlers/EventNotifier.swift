import Synchronization

/// Wakes the WatchEvents streams when a transaction that appended events has committed.
final class EventNotifier: Sendable {
    private let waiters = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    /// A stream that yields once after each commit (coalesced: a slow reader sees one wake-up).
    func subscribe() -> (id: Int, wakeups: AsyncStream<Void>) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        waiters.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        let continuation = waiters.withLock { $0.removeValue(forKey: id) }
        continuation?.finish()
    }

    func signal() {
        let all = waiters.withLock { Array($0.values) }
        for continuation in all { continuation.yield() }
    }
}
