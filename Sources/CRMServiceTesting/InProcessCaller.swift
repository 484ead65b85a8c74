import CRMDomain
import CRMRPC
import CRMService
import CRMWire

/// Calls a service's router in the test's own process, as any caller, with a token signed by
/// the service's secret: the request is encoded and decoded, and the kit's interceptors run,
/// but there is no socket. What a service's fast tests of its rules go through.
public struct InProcessCaller: Sendable {
    public let router: RPCRouter
    private let signer: TokenSigner
    private let clock: WallClock

    public init(router: RPCRouter, secret: String, clock: WallClock = .system) throws {
        self.router = router
        self.signer = try TokenSigner(secret: secret)
        self.clock = clock
    }

    /// Metadata carrying a token for `caller` (valid for an hour of the service's clock).
    public func metadata(as caller: Caller, idempotencyKey: String = "", traceID: String = "") -> Metadata {
        let now = clock.millis()
        let token = signer.sign(TokenSigner.Claims(caller: caller, issuedAt: now, expiresAt: now + 3_600_000))
        return Metadata(authorization: "Bearer \(token)", idempotencyKey: idempotencyKey, traceID: traceID)
    }

    /// Calls a unary method as `caller`.
    public func call<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor, _ request: Request, as caller: Caller, idempotencyKey: String = "", _: Response.Type = Response.self
    ) async throws(RPCError) -> Response {
        try await router.call(method, request, metadata: metadata(as: caller, idempotencyKey: idempotencyKey))
    }
}
