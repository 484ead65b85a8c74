import CRMService
import Foundation
import GRDB

/// The event feed (a transactional outbox): appended in the same transaction as the change it
/// describes, read in sequence order.
enum EventStore {
    struct StoredEvent: Sendable {
        var sequence: Int64
        var at: Int64
        var payload: [UInt8]
    }

    /// Appends an event and returns its sequence number.
    @discardableResult
    static func append(_ db: Database, type: Int32, entityID: Int64, actorID: Int64, at: Int64, payload: [UInt8]) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO event (type, entity_id, at, actor_id, payload) VALUES (?, ?, ?, ?, ?)")
            .execute(StatementValues(Int64(type), entityID, at, actorID, payload))
        return db.lastInsertedRowID
    }

    static func events(_ db: Database, after: Int64, limit: Int) throws -> [StoredEvent] {
        try Row.fetchAll(db, sql: "SELECT sequence, at, payload FROM event WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [after, limit])
            .map { StoredEvent(sequence: $0["sequence"], at: $0["at"], payload: [UInt8]($0["payload"] as Data)) }
    }

    static func head(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM event") ?? 0
    }
}

/// The first answer to each call that carried an idempotency key.
enum IdempotencyStore {
    static func response(_ db: Database, callerID: Int64, method: String, key: String) throws -> [UInt8]? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT response FROM idempotency WHERE caller_id = ? AND method = ? AND key = ?"), arguments: [callerID, method, key])
            .map { [UInt8]($0["response"] as Data) }
    }

    static func save(_ db: Database, callerID: Int64, method: String, key: String, response: [UInt8], at: Int64) throws {
        try db.execute(
            sql: "INSERT INTO idempotency (caller_id, method, key, response, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [callerID, method, key, Data(response), at])
    }
}
