import CRMWire

/// What a call carries besides its request: credentials, idempotency, tracing.
public struct Metadata: Sendable, Hashable {
    /// The bearer token from Login.
    public var authorization: String
    /// Makes a mutating call safe to retry.
    public var idempotencyKey: String
    /// Ties logs together across services.
    public var traceID: String
    /// Anything else, by lower-case key.
    public var entries: [String: String]

    public init(authorization: String = "", idempotencyKey: String = "", traceID: String = "", entries: [String: String] = [:]) {
        self.authorization = authorization
        self.idempotencyKey = idempotencyKey
        self.traceID = traceID
        self.entries = entries
    }

    init(header: RpcV1.RequestHeader) {
        self.init(
            authorization: header.authorization,
            idempotencyKey: header.idempotencyKey,
            traceID: header.traceId,
            entries: Dictionary(header.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        )
    }
}
