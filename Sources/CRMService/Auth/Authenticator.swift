import CRMDomain
import CRMRPC
import CRMWire

/// Turns a call's Authorization metadata into the caller, or refuses it UNAUTHENTICATED.
public struct Authenticator: Sendable {
    public let signer: TokenSigner
    public let clock: WallClock

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
        do {
            return try signer.verify(String(token), now: clock.millis()).caller
        } catch {
            throw RPCError(error)
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
        case .alreadyExists(let message): self.init(.alreadyExists, message)
        case .permissionDenied(let message): self.init(.permissionDenied, message)
        case .failedPrecondition(let message): self.init(.failedPrecondition, message)
        case .stale(let message): self.init(.aborted, message)
        case .unauthenticated(let message): self.init(.unauthenticated, message)
        }
    }
}
