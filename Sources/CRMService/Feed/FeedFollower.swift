import CRMRPC
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Follows one source feed: catches up with ListEvents a batch at a time, then watches,
/// applying whatever has arrived in one transaction with the cursor. After any break (the
/// source down, a restart, a kill) it starts again from the stored cursor, so no event is lost
/// and none is applied twice. Runs beside the server as a lifecycle service.
public final class FeedFollower<Feed: SourceFeed>: Service, Sendable {
    let feed: Feed
    let token: @Sendable () -> String
    let logger: Logger
    /// Events per ListEvents call (the most the feeds allow) and per watched transaction.
    public static var batch: Int32 { 1_000 }

    /// `token` signs each connection's calls (the follower calls as a service).
    public init(feed: Feed, token: @escaping @Sendable () -> String, logger: Logger) {
        self.feed = feed
        self.token = token
        self.logger = logger
    }

    private var options: CallOptions { CallOptions(timeout: .seconds(30), metadata: Metadata(authorization: "Bearer \(token())")) }

    public func run() async throws {
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
                try await feed.prepare(options: options)
                try await catchUp()
                pause = .milliseconds(200)
                try await watch()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.notice("following \(feed.source) paused", metadata: ["error": "\(error)", "retry_in": "\(pause)"])
                await feed.note(head: nil, error: "\(error)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Reads and applies batches until the source has no more.
    public func catchUp() async throws {
        while true {
            let (events, head) = try await feed.list(after: try await feed.applied(), limit: Self.batch, options: options)
            guard !events.isEmpty else {
                await feed.note(head: head, error: "")
                return
            }
            try await feed.apply(events, head: head, options: options)
            if events.count < Self.batch { return }
        }
    }

    /// Watches for new events; what arrives while a transaction runs is applied together in the next.
    private func watch() async throws {
        let pending = EventBuffer<Feed.Event>()
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stream = feed.watch(after: try await feed.applied(), options: options)
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
                        try await self.feed.apply(events, head: self.feed.sequence(last), options: self.options)
                    }
                }
            }
            // The watch ended (the source closed it) or failed: stop applying and start again.
            try await group.next()
            try await group.next()
        }
        throw RPCError(.unavailable, "\(feed.source) closed the event stream")
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
