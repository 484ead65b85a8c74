import CRMWire
import Foundation
import GRDB

/// The event feed's rows (a transactional outbox): appended in the same transaction as the
/// change they describe, read in sequence order.
public enum EventOutbox {
    public struct StoredEvent: Sendable {
        public var sequence: Int64
        public var at: Int64
        public var payload: [UInt8]
    }

    /// Appends an event and returns its sequence number.
    @discardableResult
    public static func append(_ db: Database, type: Int32, entityID: Int64, actorID: Int64, at: Int64, payload: [UInt8]) throws -> Int64 {
        // An event too big to send would stop every follower of the feed at it for good.
        try AnswerBudget.require(bytes: payload.count, of: "the change's event")
        try db.cachedStatement(sql: "INSERT INTO event (type, entity_id, at, actor_id, payload) VALUES (?, ?, ?, ?, ?)")
            .execute(StatementValues(Int64(type), entityID, at, actorID, payload))
        return db.lastInsertedRowID
    }

    /// Appends `event` with its sequence filled in once known (the payload is stored without
    /// it: the row's own sequence is the truth).
    @discardableResult
    public static func append<Event: FeedEvent>(_ db: Database, _ event: Event, type: Int32, entityID: Int64, actorID: Int64, at: Int64) throws -> Int64 {
        try append(db, type: type, entityID: entityID, actorID: actorID, at: at, payload: try event.serializedBytes())
    }

    /// Up to `limit` events after `after`, and no more than fill one answer.
    public static func events(_ db: Database, after: Int64, limit: Int) throws -> [StoredEvent] {
        var fill = PageFill()
        var events: [StoredEvent] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT sequence, at, payload FROM event WHERE sequence > ? ORDER BY sequence LIMIT ?"), arguments: [after, limit])
        while let row = try rows.next() {
            let event = StoredEvent(sequence: row["sequence"], at: row["at"], payload: [UInt8](row["payload"] as Data))
            guard fill.admits(bytes: event.payload.count + 24) else { break }
            events.append(event)
        }
        return events
    }

    public static func head(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM event") ?? 0
    }
}

/// An event message of a service's feed: it carries its position.
public protocol FeedEvent: WireMessage {
    var sequence: Int64 { get set }
    var at: Int64 { get set }
}
