import CRMDomain
import Crypto
import Foundation

/// Issues and checks the bearer tokens every service checks (docs/ARCHITECTURE.md, security): HMAC-SHA256 over the claims, with a
/// key every service gets from its configuration, so each verifies tokens on its own.
///
/// A token is `crm1.<claims>.<mac>`, both parts base64url without padding; the claims are JSON.
public struct TokenSigner: Sendable {
    /// The claims a token carries.
    public struct Claims: Sendable, Hashable, Codable {
        public var caller: Caller
        /// When the token was issued (Unix ms).
        public var issuedAt: Int64
        /// When it stops being accepted (Unix ms).
        public var expiresAt: Int64

        public init(caller: Caller, issuedAt: Int64, expiresAt: Int64) {
            self.caller = caller
            self.issuedAt = issuedAt
            self.expiresAt = expiresAt
        }
    }

    private static let prefix = "crm1."
    /// The key's bytes (SymmetricKey itself is not Sendable; making one per use is cheap).
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// At least 32 bytes of secret: shorter keys make HMAC guessable.
    public init(secret: String) throws(SettingsError) {
        guard secret.utf8.count >= 32 else {
            throw SettingsError("auth secret: must be at least 32 characters (crm up generates one)")
        }
        self.secret = Array(secret.utf8)
    }

    public func sign(_ claims: Claims) -> String {
        let payload = Self.prefix + Self.base64url(try! JSONEncoder().encode(claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)
        return payload + "." + Self.base64url(Data(mac))
    }

    /// The token's claims, when it is well formed, signed with this key and not expired at `now`.
    public func verify(_ token: String, now: Int64) throws(DomainError) -> Claims {
        guard token.hasPrefix(Self.prefix), let dot = token.lastIndex(of: "."), dot > token.index(token.startIndex, offsetBy: Self.prefix.count) else {
            throw DomainError.unauthenticated("the token is malformed")
        }
        let payload = String(token[..<dot])
        guard let mac = Self.unbase64url(String(token[token.index(after: dot)...])),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(payload.utf8), using: key)
        else {
            throw DomainError.unauthenticated("the token's signature is not valid")
        }
        guard let json = Self.unbase64url(String(payload.dropFirst(Self.prefix.count))),
              let claims = try? JSONDecoder().decode(Claims.self, from: json)
        else {
            throw DomainError.unauthenticated("the token is malformed")
        }
        guard claims.expiresAt > now else { throw DomainError.unauthenticated("the token has expired; log in again") }
        return claims
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: String) -> Data? {
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), text.allSatisfy(\.isASCII) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
