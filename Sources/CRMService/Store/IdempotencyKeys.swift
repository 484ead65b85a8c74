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

    /// The stored answer to (caller, method, key), if the call was made before with the same
    /// request; throws when the key was used for another request.
    public static func answer(_ db: Database, callerID: Int64, method: String, key: String, requestHash: String) throws -> [UInt8]? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT request_hash, response FROM idempotency WHERE caller_id = ? AND method = ? AND key = ?"),
            arguments: [callerID, method, key])
        else { return nil }
        guard (row["request_hash"] as String) == requestHash else {
            throw DomainError.failedPrecondition("idempotency key \"\(key)\" was already used for another \(method.split(separator: "/").last ?? "") request; use a new key for a new request")
        }
        return [UInt8](row["response"] as Data)
    }

    public static func save(_ db: Database, callerID: Int64, method: String, key: String, requestHash: String, response: [UInt8], at: Int64) throws {
        try db.execute(
            sql: "INSERT INTO idempotency (caller_id, method, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [callerID, method, key, requestHash, Data(response), at])
    }

    /// The SHA-256 of a request's encoding, hex.
    public static func hash(_ request: some WireMessage) throws -> String {
        SHA256.hash(data: try request.serializedBytes()).map { String(format: "%02x", $0) }.joined()
    }
}

extension ServiceDatabase {
    /// Runs a mutation in one transaction. With an idempotency key in the call's metadata, the
    /// answer is stored in the same transaction, keyed by caller, method and key with the
    /// request's hash, and a retry returns it without running `body` again.
    public func mutate<Request: WireMessage, Response: WireMessage>(
        _ context: ServerContext,
        caller: Caller,
        request: Request,
        now: Int64,
        _ body: @escaping @Sendable (Database) throws -> Response
    ) async throws -> Response {
        let key = context.metadata.idempotencyKey
        guard !key.isEmpty else { return try await write(body) }
        guard key.utf8.count <= IdempotencyKeys.maxLength else {
            throw DomainError.invalid([Violation("idempotency_key", "must be at most \(IdempotencyKeys.maxLength) bytes")])
        }
        let method = context.method.path
        let hash = try IdempotencyKeys.hash(request)
        let bytes = try await write { db -> [UInt8] in
            if let first = try IdempotencyKeys.answer(db, callerID: caller.userID, method: method, key: key, requestHash: hash) {
                return first
            }
            let bytes = try body(db).serializedBytes()
            try IdempotencyKeys.save(db, callerID: caller.userID, method: method, key: key, requestHash: hash, response: bytes, at: now)
            return bytes
        }
        return try Response(serializedBytes: bytes)
    }
}
