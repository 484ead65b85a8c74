/// Per-call settings on the client.
public struct CallOptions: Sendable {
    /// How long the call may take, end to end; sent to the server as the call's timeout.
    /// nil uses the client's default.
    public var timeout: Duration?
    /// Token, idempotency key, trace id, and any other metadata.
    public var metadata: Metadata
    /// When the server cannot be reached, keep trying (with backoff) until the deadline instead
    /// of failing UNAVAILABLE after one attempt.
    public var waitForReady: Bool

    public init(timeout: Duration? = nil, metadata: Metadata = Metadata(), waitForReady: Bool = false) {
        self.timeout = timeout
        self.metadata = metadata
        self.waitForReady = waitForReady
    }
}

/// How a client connects and what it accepts.
public struct RPCClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Bounds on the frames the server sends.
    public var frameLimits: FrameLimits
    /// How long one connection attempt may take.
    public var connectTimeout: Duration
    /// The wait after the first failed connection attempt; it doubles up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// The timeout of calls whose options set none; nil waits as long as the call takes.
    public var defaultTimeout: Duration?

    public init(
        host: String,
        port: Int,
        frameLimits: FrameLimits = FrameLimits(),
        connectTimeout: Duration = .seconds(5),
        initialBackoff: Duration = .milliseconds(100),
        maximumBackoff: Duration = .seconds(5),
        defaultTimeout: Duration? = nil
    ) {
        self.host = host
        self.port = port
        self.frameLimits = frameLimits
        self.connectTimeout = connectTimeout
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.defaultTimeout = defaultTimeout
    }
}

extension CallOptions {
    /// The same options carrying `idempotencyKey`, for one mutating call.
    public func with(idempotencyKey: String) -> CallOptions {
        var copy = self
        copy.metadata.idempotencyKey = idempotencyKey
        return copy
    }
}
