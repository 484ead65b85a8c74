import GRDB
import Synchronization

/// Group commit: write calls that arrive while a transaction is committing wait together and
/// share the next transaction, so one fsync makes many calls durable. Each call runs in its own
/// savepoint (a call that throws undoes only its own changes) and is answered only after the
/// transaction holding it has committed.
public final class GroupCommit: Sendable {
    /// One call waiting for the writer: `run` applies it inside a savepoint and returns what to
    /// do once the transaction commits; `fail` answers it when it cannot be committed.
    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private let writer: any DatabaseWriter
    private let maxBatch: Int
    private let state = Mutex(State())

    /// - Parameter maxBatch: the most calls one transaction holds, which bounds how long the
    ///   first of them waits for the last.
    public init(_ writer: any DatabaseWriter, maxBatch: Int = 256) {
        self.writer = writer
        self.maxBatch = maxBatch
    }

    /// Runs `body` in a savepoint of the next group transaction and returns its result once
    /// that transaction has committed. If `body` throws, its changes are rolled back and the
    /// error is thrown here; the other calls of the group are unaffected.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in
                    var result: T?
                    try db.inSavepoint {
                        result = try body(db)
                        return .commit
                    }
                    let value = result!
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDrain = state.withLock { s -> Bool in
                s.pending.append(job)
                guard !s.draining else { return false }
                s.draining = true
                return true
            }
            if startDrain {
                Task { await self.drain() }
            }
        }
    }

    /// Commits groups until no call is waiting. A group's answers are given while the next
    /// group is being written: waking the callers is work the writer need not wait for.
    private func drain() async {
        var answers: [@Sendable () -> Void] = []
        while true {
            let jobs = state.withLock { s -> [Job] in
                let batch = Array(s.pending.prefix(maxBatch))
                s.pending.removeFirst(batch.count)
                return batch
            }
            if jobs.isEmpty {
                for answer in answers { answer() }
                answers = []
                // The callers just answered may have sent more; stop only when none did.
                let done = state.withLock { s -> Bool in
                    guard s.pending.isEmpty else { return false }
                    s.draining = false
                    return true
                }
                if done { return }
                continue
            }
            async let written = commit(jobs)
            for answer in answers { answer() }
            answers = await written
        }
    }

    /// Runs a group in one transaction and returns what answers each call: its result once
    /// committed, or its error.
    private func commit(_ jobs: [Job]) async -> [@Sendable () -> Void] {
        do {
            return try await writer.write { db in
                jobs.map { job in
                    do {
                        return try job.run(db)
                    } catch {
                        return { job.fail(error) }
                    }
                }
            }
        } catch {
            // The commit itself failed: nothing of this group landed.
            return jobs.map { job in { job.fail(error) } }
        }
    }
}
