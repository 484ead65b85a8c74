import CRMDomain
import CRMRPC
import CRMService
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Follows one source feed into the read model: catches up with ListEvents a batch at a time,
/// then watches, applying whatever has arrived in one transaction with the cursor. After any
/// break (the source down, a restart, a kill) it starts again from the stored cursor, so no
/// event is lost and none is applied twice; meanwhile the reports answer from what they have.
final class FeedFollower<Feed: SourceFeed>: Service, Sendable {
    let feed: Feed
    let database: ServiceDatabase
    let token: @Sendable () -> String
    let clock: WallClock
    let logger: Logger
    /// Events per ListEvents call (the most the feeds allow) and per watched transaction.
    static var batch: Int32 { 1_000 }

    /// Events applied since the planner's statistics were last refreshed.
    private let sinceStatistics = Mutex(0)

    init(feed: Feed, database: ServiceDatabase, token: @escaping @Sendable () -> String, clock: WallClock, logger: Logger) {
        self.feed = feed
        self.database = database
        self.token = token
        self.clock = clock
        self.logger = logger
    }

    private var writer: ServiceDatabaseWriter {
        let database = self.database
        // The follower is its feed's only writer, and a batch is big: a transaction of its own.
        return ServiceDatabaseWriter { body in try await database.writeBatch(body) }
    }

    private var options: CallOptions { CallOptions(timeout: .seconds(30), metadata: Metadata(authorization: "Bearer \(token())")) }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.follow() }
        } catch is CancellationError {
            return
        }
    }

    private func follow() async throws {
        var pause = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await feed.prepare(writer, options: options)
                try await catchUp()
                pause = .milliseconds(200)
                try await watch()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let source = feed.source
                logger.notice("following \(source) paused", metadata: ["error": "\(error)", "retry_in": "\(pause)"])
                try? await database.write { db in try FeedCursorStore.note(db, source, error: "\(error)") }
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Reads and applies batches until the source has no more.
    func catchUp() async throws {
        let source = feed.source
        while true {
            let after = try await database.read { db in try FeedCursorStore.applied(db, source) }
            let (events, head) = try await feed.list(after: after, limit: Self.batch, options: options)
            guard !events.isEmpty else {
                try await database.write { db in try FeedCursorStore.note(db, source, head: head, error: "") }
                return
            }
            try await applied(events, head: head)
            if events.count < Self.batch { return }
        }
    }

    /// Applies a batch, and refreshes the planner's statistics once enough rows came in.
    private func applied(_ events: [Feed.Event], head: Int64) async throws {
        try await feed.apply(events, head: head, to: writer, options: options, now: clock.millis())
        let due = sinceStatistics.withLock { count -> Bool in
            count += events.count
            guard count >= ReadModel.statisticsInterval else { return false }
            count = 0
            return true
        }
        if due { try await database.writeBatch { db in try ReadModel.refreshStatistics(db) } }
    }

    /// Watches for new events; what arrives while a transaction runs is applied together in the next.
    private func watch() async throws {
        let source = feed.source
        let after = try await database.read { db in try FeedCursorStore.applied(db, source) }
        let pending = EventBuffer<Feed.Event>()
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stream = feed.watch(after: after, options: options)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { signal.finish() }
                for try await event in stream {
                    // Bounded: a reader far ahead of the writer waits for it.
                    while pending.count >= Int(Self.batch) * 4 { try await Task.sleep(for: .milliseconds(2)) }
                    pending.append(event)
                    signal.yield()
                }
            }
            group.addTask {
                for await _ in signals {
                    while true {
                        let events = pending.take(Int(Self.batch))
                        guard let last = events.last else { break }
                        try await self.applied(events, head: self.feed.sequence(last))
                    }
                }
            }
            // The watch ended (the source closed it) or failed: stop applying and start again.
            try await group.next()
            try await group.next()
        }
        throw RPCError(.unavailable, "\(source) closed the event stream")
    }
}

/// Events received and not yet applied, shared by the task that reads the stream and the one that writes.
final class EventBuffer<Event: Sendable>: Sendable {
    private let events = Mutex<[Event]>([])

    var count: Int { events.withLock { $0.count } }

    func append(_ event: Event) { events.withLock { $0.append(event) } }

    /// Up to `limit` of the oldest events, removed.
    func take(_ limit: Int) -> [Event] {
        events.withLock { events in
            let taken = Array(events.prefix(limit))
            events.removeFirst(taken.count)
            return taken
        }
    }
}
