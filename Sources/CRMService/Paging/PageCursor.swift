import CRMDomain
import CRMWire
import Crypto
import Foundation

/// Where the next page of a list starts: the last row's sort values and id, bound to the query
/// (filter and order) it came from. Following `next_page_token` alone neither repeats nor skips
/// a row when rows are added, removed or re-sorted between pages, and a token sent with another
/// query is refused.
public struct PageCursor: Sendable, Equatable, Codable {
    /// A sort value of the last row.
    public enum Value: Sendable, Equatable, Codable {
        case int(Int64)
        case text(String)
    }

    /// A fingerprint of the query the token belongs to.
    public var query: String
    /// The last row's values of the sort keys, in order.
    public var values: [Value]
    /// The last row's id (every order ends with it, so rows never tie).
    public var id: Int64

    public init(query: String, values: [Value], id: Int64) {
        self.query = query
        self.values = values
        self.id = id
    }

    private static let prefix = "c1."

    /// The opaque token a response carries.
    public var token: String {
        let json = (try? JSONEncoder().encode(self)) ?? Data()
        return Self.prefix + json.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The cursor in `token`, or nil for an empty token (the first page). Adds a violation of
    /// `field` when the token is not one of ours or belongs to another query.
    public static func decode(_ token: String, query: String, field: String = "page_token", into violations: inout Violations) -> PageCursor? {
        guard !token.isEmpty else { return nil }
        guard token.utf8.count <= 4_096, token.hasPrefix(prefix) else {
            violations.add(field, "is not a token this service issued")
            return nil
        }
        var base64 = String(token.dropFirst(prefix.count)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let cursor = try? JSONDecoder().decode(PageCursor.self, from: data) else {
            violations.add(field, "is not a token this service issued")
            return nil
        }
        guard cursor.query == query else {
            violations.add(field, "belongs to another query: send the same filter and sort as the call that returned it, or no token")
            return nil
        }
        return cursor
    }
}

/// The page size a list request asks for.
public enum PageSize {
    /// 1-500, or 0 for 50.
    public static func resolve(_ pageSize: Int32, field: String = "page_size", into violations: inout Violations) -> Int {
        guard pageSize >= 0, pageSize <= 500 else {
            violations.add(field, "must be from 1 to 500, or 0 for 50")
            return 50
        }
        return pageSize == 0 ? 50 : Int(pageSize)
    }
}

extension PageCursor {
    /// A fingerprint of a list request without its paging fields (`withoutPaging` clears
    /// them) and of its caller: a token only continues the query, and the caller, it came from.
    public static func fingerprint<Request: WireMessage>(of request: Request, caller: Caller, withoutPaging: (inout Request) -> Void) -> String {
        var query = request
        withoutPaging(&query)
        let bytes = (try? query.serializedBytes()) ?? []
        var hasher = SHA256()
        hasher.update(data: bytes)
        withUnsafeBytes(of: caller.userID.littleEndian) { hasher.update(bufferPointer: $0) }
        return hasher.finalize().prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}

/// A list request: its page size and token, and every other field the query's.
public protocol PagedRequest: WireMessage {
    var pageSize: Int32 { get set }
    var pageToken: String { get set }
}

extension PageCursor {
    /// The fingerprint of a list request's query (every field but its page size and token)
    /// and caller.
    public static func fingerprint<Request: PagedRequest>(of request: Request, caller: Caller) -> String {
        fingerprint(of: request, caller: caller) { $0.pageSize = 0; $0.pageToken = "" }
    }

    /// The page size and cursor `request` asks for, bound to its query and caller; violations
    /// name its fields.
    public static func window<Request: PagedRequest>(_ request: Request, caller: Caller, into violations: inout Violations)
        -> (cursor: PageCursor?, limit: Int, fingerprint: String) {
        let fingerprint = fingerprint(of: request, caller: caller)
        let limit = PageSize.resolve(request.pageSize, into: &violations)
        return (decode(request.pageToken, query: fingerprint, into: &violations), limit, fingerprint)
    }
}
