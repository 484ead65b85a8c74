import Dispatch
import Foundation
import GRDB
import Metrics
import Synchronization

/// Group commit: write calls that arrive while a transaction is committing wait together and
/// share the next transaction, so one fsync makes many calls durable. Each call runs in its own
/// savepoint (a call that throws undoes only its own changes) and is answered only after the
/// transaction holding it has committed.
///
/// The groups are written by one thread of ours that stays while calls keep coming: it takes
/// the calls waiting, writes them, and takes the next ones without leaving SQLite's writer, so
/// the writer never idles between groups waiting for a task to be scheduled.
public final class GroupCommit: Sendable {
    /// One call waiting for the writer: `run` applies it and returns what to do once the
    /// transaction commits; `fail` answers it when it cannot be committed.
    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Job] = []
        /// A writing thread exists.
        var running = false
        /// The writing thread waits on `wake` for calls.
        var sleeping = false
        var closed = false
    }

    /// What a new call must do for the writing thread once the lock is released.
    private enum Nudge {
        case nothing, wake, start, refuse
    }

    private let writer: any DatabaseWriter
    /// How many calls each transaction held (a histogram on the metrics endpoint).
    private let groupSizes = Recorder(label: "crm_group_commit_calls", aggregate: true)
    private let maxBatch: Int
    private let linger: DispatchTimeInterval
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - maxBatch: the most calls one transaction holds, which bounds how long the first of
    ///     them waits for the last.
    ///   - linger: how long the writing thread waits for a call before it ends (the next call
    ///     starts another).
    public init(_ writer: any DatabaseWriter, maxBatch: Int = 256, linger: DispatchTimeInterval = .milliseconds(200)) {
        self.writer = writer
        self.maxBatch = maxBatch
        self.linger = linger
    }

    /// Runs `body` in a savepoint of the next group transaction and returns its result once
    /// that transaction has committed. If `body` throws, its changes are rolled back and the
    /// error is thrown here; the other calls of the group are unaffected.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in
                    let value = try body(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
            let nudge = state.withLock { s -> Nudge in
                guard !s.closed else { return .refuse }
                s.pending.append(job)
                if !s.running {
                    s.running = true
                    return .start
                }
                if s.sleeping {
                    s.sleeping = false
                    return .wake
                }
                return .nothing
            }
            switch nudge {
            case .refuse: job.fail(DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database is closed"))
            case .start: startWriting()
            case .wake: wake.signal()
            case .nothing: break
            }
        }
    }

    /// How many calls wait for the writer (for tests).
    var waiting: Int { state.withLock { $0.pending.count } }

    /// Refuses new calls, and returns once the calls already made are committed and answered.
    public func close() {
        let (wait, nudge) = state.withLock { s -> (Bool, Bool) in
            s.closed = true
            defer { s.sleeping = false }
            return (s.running, s.sleeping)
        }
        if nudge { wake.signal() }
        if wait { stopped.wait() }
    }

    private func startWriting() {
        Thread {
            Thread.current.name = "crm-group-commit"  // names the thread only from inside it
            self.writeGroups()
        }.start()
    }

    /// What the writing thread does next.
    private enum Step {
        case write([Job]), sleep, stop
    }

    /// The writing thread: commits groups while calls keep coming. Each group's answers are
    /// given on the concurrency pool while the next group is written.
    private func writeGroups() {
        while true {
            let step = state.withLock { s -> Step in
                if !s.pending.isEmpty {
                    let batch = Array(s.pending.prefix(maxBatch))
                    s.pending.removeFirst(batch.count)
                    return .write(batch)
                }
                if s.closed {
                    s.running = false
                    return .stop
                }
                s.sleeping = true
                return .sleep
            }
            switch step {
            case .write(let jobs):
                groupSizes.record(jobs.count)
                let answers = commit(jobs)
                Task.detached { for answer in answers { answer() } }
            case .stop:
                stopped.signal()
                return
            case .sleep:
                if wake.wait(timeout: .now() + linger) == .success { continue }
                let ended = state.withLock { s -> Bool in
                    // Still sleeping: nothing came. Otherwise whoever cleared it signals `wake`,
                    // and that signal must be taken.
                    guard s.sleeping else { return false }
                    s.sleeping = false
                    s.running = false
                    return true
                }
                if ended { return }
                wake.wait()
            }
        }
    }

    /// Runs a group in one transaction and returns what answers each call: its result once
    /// committed, or its error.
    private func commit(_ jobs: [Job]) -> [@Sendable () -> Void] {
        do {
            return try writer.writeWithoutTransaction { db in
                var answers: [@Sendable () -> Void] = []
                answers.reserveCapacity(jobs.count)
                try db.inTransaction(.immediate) {
                    // Prepared once: a savepoint per call must not cost a parse per call.
                    let begin = try db.cachedStatement(sql: "SAVEPOINT call")
                    let release = try db.cachedStatement(sql: "RELEASE call")
                    let undo = try db.cachedStatement(sql: "ROLLBACK TO call")
                    for job in jobs {
                        try begin.execute()
                        do {
                            answers.append(try job.run(db))
                        } catch {
                            try undo.execute()
                            answers.append { job.fail(error) }
                        }
                        try release.execute()
                    }
                    return .commit
                }
                return answers
            }
        } catch {
            // The transaction failed: nothing of this group landed.
            return jobs.map { job in { job.fail(error) } }
        }
    }
}
