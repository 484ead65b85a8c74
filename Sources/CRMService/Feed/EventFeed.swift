import CRMDomain
import CRMRPC
import CRMWire

/// A service's event feed, served the same way by every service: `ListEvents` reads a batch
/// after a position, `WatchEvents` streams what is there and then each event as its commit
/// lands (woken by the database's `CommitSignal`, so no change can forget to wake it).
public struct EventFeed<Event: FeedEvent>: Sendable {
    public let database: ServiceDatabase
    /// The most events one `ListEvents` returns.
    public static var maxLimit: Int32 { 1_000 }

    public init(database: ServiceDatabase) {
        self.database = database
    }

    /// The feed is every change of the service: for services and admins.
    public static func requireReader(_ caller: Caller) throws(DomainError) {
        guard caller.role == .service || caller.role == .admin else {
            throw DomainError.permissionDenied("the event feed is for services and admins")
        }
    }

    /// Up to `limit` events after `after` (0 means 100), and the newest sequence now.
    public func list(after: Int64, limit: Int32) async throws -> (events: [Event], head: Int64) {
        var v = Violations()
        if after < 0 { v.add("after", "must not be negative") }
        if limit < 0 || limit > Self.maxLimit { v.add("limit", "must be from 1 to 1,000, or 0 for 100") }
        try v.check()
        let count = limit == 0 ? 100 : Int(limit)
        let (rows, head) = try await database.read { db in
            (try EventOutbox.events(db, after: after, limit: count), try EventOutbox.head(db))
        }
        return (try rows.map(Self.decode), head)
    }

    /// Streams the events after `after`, then each new one as it commits, until the call ends.
    public func watch(after: Int64, to writer: ResponseWriter<Event>) async throws {
        if after < 0 { throw DomainError.invalid([Violation("after", "must not be negative")]) }
        // Subscribed before the first read, so a commit between the read and the wait is not missed.
        let (id, wakeups) = database.commits.subscribe()
        defer { database.commits.unsubscribe(id) }
        var cursor = after
        var iterator = wakeups.makeAsyncIterator()
        while !Task.isCancelled {
            let from = cursor
            let batch = try await database.read { db in try EventOutbox.events(db, after: from, limit: 500) }
            for row in batch {
                try await writer.write(try Self.decode(row))
                cursor = row.sequence
            }
            if batch.count < 500 {
                guard await iterator.next() != nil else { return }
            }
        }
    }

    static func decode(_ row: EventOutbox.StoredEvent) throws -> Event {
        var event = try Event(serializedBytes: row.payload)
        event.sequence = row.sequence
        event.at = row.at
        return event
    }
}
