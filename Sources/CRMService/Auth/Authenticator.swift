import CRMDomain
import CRMRPC
import CRMWire
import Synchronization

/// Turns a call's Authorization metadata into the caller, or refuses it UNAUTHENTICATED.
public struct Authenticator: Sendable {
    public let signer: TokenSigner
    public let clock: WallClock
    /// Tokens already verified, with their claims: a client sends the same token on every call,
    /// and checking the signature again each time costs more than the rest of a small call.
    private let verified = VerifiedTokens()

    public init(signer: TokenSigner, clock: WallClock = .system) {
        self.signer = signer
        self.clock = clock
    }

    /// The caller of this call. Accepts "Bearer <token>" or the bare token.
    public func caller(of context: ServerContext) throws(RPCError) -> Caller {
        var token = Substring(context.metadata.authorization)
        if token.hasPrefix("Bearer ") { token = token.dropFirst(7) }
        guard !token.isEmpty else {
            throw RPCError(.unauthenticated, "this call needs a token: log in first")
        }
        let now = clock.millis()
        let text = String(token)
        if let claims = verified.claims(of: text), claims.expiresAt > now { return claims.caller }
        do {
            let claims = try signer.verify(text, now: now)
            verified.remember(text, claims)
            return claims.caller
        } catch {
            throw RPCError(error)
        }
    }
}

/// A bounded memory of verified tokens (forgotten all at once when full: they are re-verified).
final class VerifiedTokens: Sendable {
    private let tokens = Mutex<[String: TokenSigner.Claims]>([:])
    private let capacity = 10_000

    func claims(of token: String) -> TokenSigner.Claims? {
        tokens.withLock { $0[token] }
    }

    func remember(_ token: String, _ claims: TokenSigner.Claims) {
        tokens.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[token] = claims
        }
    }
}

extension RPCError {
    /// The status a refused business rule becomes.
    public init(_ error: DomainError) {
        switch error {
        case .invalid(let violations):
            self = .invalidArgument(violations.map { RpcV1.FieldViolation(field: $0.field, description: $0.description) })
        case .notFound(let message): self.init(.notFound, message)
        case .alreadyExists(let message, let existing):
            self.init(.alreadyExists, message)
            self.existing = existing.map { RpcV1.ExistingEntity(kind: $0.kind, id: $0.id, field: $0.field, value: $0.value) }
        case .permissionDenied(let message): self.init(.permissionDenied, message)
        case .failedPrecondition(let message): self.init(.failedPrecondition, message)
        case .stale(let message): self.init(.aborted, message)
        case .unauthenticated(let message): self.init(.unauthenticated, message)
        }
    }
}
