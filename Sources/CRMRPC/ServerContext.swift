import Logging

/// What a handler knows about the call it serves.
public struct ServerContext: Sendable {
    /// The method being called.
    public let method: MethodDescriptor
    /// The call's metadata (token, idempotency key, trace id).
    public let metadata: Metadata
    /// When the caller stops waiting, if it set a timeout. The runtime cancels the handler then;
    /// handlers pass it on to the calls they make.
    public let deadline: ContinuousClock.Instant?
    /// The peer's address and port, for logs.
    public let peer: String
    /// The peer's IP address alone (what a throttle counts by: a client's port changes).
    public let peerAddress: String
    private let baseLogger: Logger

    public init(
        method: MethodDescriptor, metadata: Metadata = Metadata(), deadline: ContinuousClock.Instant? = nil, peer: String = "local",
        peerAddress: String? = nil, logger: Logger = Logger(label: "crm.rpc")
    ) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.peerAddress = peerAddress ?? peer
        self.baseLogger = logger
    }

    /// A logger carrying the method and trace id (built when asked for: most calls never log).
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "method"] = "\(method.path)"
        if !metadata.traceID.isEmpty { logger[metadataKey: "trace_id"] = "\(metadata.traceID)" }
        return logger
    }
}

/// Sends the messages of a server-streaming call, in order; each `write` waits until the
/// connection has taken the message, so a slow client slows the handler instead of filling memory.
public struct ResponseWriter<Message: WireMessage>: Sendable {
    private let send: @Sendable (Message) async throws -> Void

    public init(send: @escaping @Sendable (Message) async throws -> Void) {
        self.send = send
    }

    /// Sends one message; throws `CancellationError` once the call is over (cancelled, timed out,
    /// or the client went away).
    public func write(_ message: Message) async throws {
        try await send(message)
    }
}

import CRMWire
