import CRMDomain
import CRMRPC
import CRMWire
import Crypto
import Foundation
import GRDB

/// The first answer to each call that carried an idempotency key, stored with the request's
/// SHA-256. Keys are scoped to the caller and the method: a retry with the same key and the
/// same request gets the first answer and changes nothing; the same key with another request is
/// FAILED_PRECONDITION (the key was reused by mistake, and the first answer would be a lie).
public enum IdempotencyKeys {
    /// The longest key accepted.
    public static let maxLength = 200
    /// How long a key is remembered: a retry within it gets the first answer; after it the key
    /// is forgotten (pruned as new keys are stored).
    public static let lifetimeMillis: Int64 = 7 * 24 * 3600 * 1000

    /// The stored answer to (caller, method, key), if the call was made before with the same
    /// request; throws when the key was used for another request.
    public static func answer(_ db: Database, callerID: Int64, method: String, key: String, requestHash: String) throws -> [UInt8]? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT request_hash, response FROM idempotency WHERE caller_id = ? AND method = ? AND key = ?"),
            arguments: [callerID, method, key])
        else { return nil }
        // An answer stored before requests were hashed (an empty hash) is taken as it is.
        let stored: String = row["request_hash"]
        guard stored.isEmpty || stored == requestHash else {
            throw DomainError.failedPrecondition("idempotency key \"\(key)\" was already used for another \(method.split(separator: "/").last ?? "") request; use a new key for a new request")
        }
        return [UInt8](row["response"] as Data)
    }

    public static func save(_ db: Database, callerID: Int64, method: String, key: String, requestHash: String, response: [UInt8], at: Int64) throws {
        // Forgotten keys go as new ones come (an index range that is nearly always empty).
        try db.cachedStatement(sql: "DELETE FROM idempotency WHERE created_at < ?").execute(arguments: [at - lifetimeMillis])
        try db.execute(
            sql: "INSERT INTO idempotency (caller_id, method, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [callerID, method, key, requestHash, Data(response), at])
    }

    /// The SHA-256 of the call's request as it arrived, hex.
    public static func requestHash() -> String {
        var hasher = SHA256()
        if let body = RequestBody.current { body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// What writes a service's transactions (ServiceDatabase, or a store that wraps one).
public protocol TransactionWriter: Sendable {
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T
}

extension ServiceDatabase: TransactionWriter {}

extension TransactionWriter {
    /// Runs a mutation in one transaction. With an idempotency key in the call's metadata, the
    /// answer is stored in the same transaction, keyed by caller, method and key with the
    /// request's hash, and a retry of the same request returns it without running `body` again.
    public func mutate<Response: WireMessage>(
        _ context: ServerContext, caller: Caller, now: Int64, _ body: @escaping @Sendable (Database) throws -> Response
    ) async throws -> Response {
        // The answer is measured before the commit: a change that cannot be answered is not made.
        try await mutate(context, caller: caller, now: now, { db in
            let response = try body(db)
            try AnswerBudget.require(response)
            return response
        }, answer: { $0 })
    }

    /// `mutate`, where the answer is made from what `body` returns by `answer`: after the commit,
    /// off the writer, unless the call has an idempotency key (the answer is then stored with
    /// the change).
    public func mutate<Result: Sendable, Response: WireMessage>(
        _ context: ServerContext, caller: Caller, now: Int64,
        _ body: @escaping @Sendable (Database) throws -> Result,
        answer: @escaping @Sendable (Result) -> Response
    ) async throws -> Response {
        let key = context.metadata.idempotencyKey
        guard !key.isEmpty else { return answer(try await write(body)) }
        guard key.utf8.count <= IdempotencyKeys.maxLength else {
            throw DomainError.invalid([Violation("idempotency_key", "must be at most \(IdempotencyKeys.maxLength) bytes")])
        }
        let method = context.method.path
        let hash = IdempotencyKeys.requestHash()
        let (bytes, replayed) = try await write { db -> ([UInt8], Bool) in
            if let first = try IdempotencyKeys.answer(db, callerID: caller.userID, method: method, key: key, requestHash: hash) {
                return (first, true)
            }
            let bytes = try answer(try body(db)).serializedBytes()
            try AnswerBudget.require(bytes: bytes.count, of: "the answer")
            try IdempotencyKeys.save(db, callerID: caller.userID, method: method, key: key, requestHash: hash, response: bytes, at: now)
            return (bytes, false)
        }
        let response = try Response(serializedBytes: bytes)
        guard replayed, var marked = response as? any ReplayableAnswer else { return response }
        marked.markReplayed()
        return marked as! Response
    }
}

/// An answer that says when it is a stored one replayed for a retry (an import's summary tells
/// a person "nothing changed" rather than repeat the first run's counts as if new).
public protocol ReplayableAnswer: WireMessage {
    mutating func markReplayed()
}
