import CRMWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// How a server listens and what it allows each connection.
public struct RPCServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on; 0 picks a free one (see `RPCServer.port`).
    public var port: Int
    /// Frame size limits; a larger frame closes the connection with RESOURCE_EXHAUSTED.
    public var frameLimits: FrameLimits
    /// Calls in flight on one connection, running or waiting; one more is answered RESOURCE_EXHAUSTED.
    public var maxConcurrentCallsPerConnection: Int
    /// Calls of one connection that run at once; the others wait their turn in order, so that a
    /// client pipelining a thousand costly calls costs the server what a few do.
    public var maxRunningCallsPerConnection: Int
    /// A connection with no traffic and no call in flight for this long is closed.
    public var idleTimeout: TimeAmount?
    /// Bounds on decoding each request.
    public var decodeLimits: DecodeLimits
    /// Reported by Health.
    public var version: String
    /// Count calls and time them per method through swift-metrics (off only for benchmarks of
    /// the bare runtime).
    public var recordMetrics: Bool
    /// Connections open at once, in all; one more is answered RESOURCE_EXHAUSTED and closed.
    public var maxConnections: Int
    /// Connections open at once from one IP address.
    public var maxConnectionsPerPeer: Int
    /// How long a frame may take to arrive once its first byte has (DEADLINE_EXCEEDED, closed).
    public var frameDeadline: TimeAmount?
    /// Bytes the server holds, over all connections, for frames that have started and not yet
    /// arrived; a frame that would pass it is RESOURCE_EXHAUSTED and its connection closed.
    public var maxBufferedFrameBytes: Int
    /// Bytes of answers a connection may hold that its client has not read yet before the server
    /// stops reading its calls (backpressure: calls already read wait, none start).
    public var maxUnsentBytesPerConnection: Int
    /// Bytes of unread answers all connections together may hold; an answer that would pass it
    /// (or pass four times the per-connection bound) is replaced by RESOURCE_EXHAUSTED.
    public var maxUnsentBytes: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        frameLimits: FrameLimits = FrameLimits(),
        maxConcurrentCallsPerConnection: Int = 1024,
        idleTimeout: TimeAmount? = .minutes(5),
        decodeLimits: DecodeLimits = .requests,
        version: String = "0.1.0",
        recordMetrics: Bool = true,
        maxConnections: Int = 4_096,
        maxConnectionsPerPeer: Int = 256,
        frameDeadline: TimeAmount? = .seconds(30),
        maxBufferedFrameBytes: Int = 64 * 1024 * 1024,
        maxUnsentBytesPerConnection: Int = 8 * 1024 * 1024,
        maxUnsentBytes: Int = 128 * 1024 * 1024,
        maxRunningCallsPerConnection: Int = 8
    ) {
        self.maxRunningCallsPerConnection = maxRunningCallsPerConnection
        self.maxUnsentBytesPerConnection = maxUnsentBytesPerConnection
        self.maxUnsentBytes = maxUnsentBytes
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.frameDeadline = frameDeadline
        self.maxBufferedFrameBytes = maxBufferedFrameBytes
        self.host = host
        self.port = port
        self.frameLimits = frameLimits
        self.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection
        self.idleTimeout = idleTimeout
        self.decodeLimits = decodeLimits
        self.version = version
        self.recordMetrics = recordMetrics
    }
}

/// The open connections of a server, so that shutdown can drain them.
final class ConnectionRegistry: Sendable {
    private let connections = NIOLockedValueBox<[ObjectIdentifier: (Channel, NIOLoopBound<ServerConnectionHandler>)]>([:])

    func add(_ channel: Channel, _ handler: NIOLoopBound<ServerConnectionHandler>) {
        connections.withLockedValue { $0[ObjectIdentifier(channel)] = (channel, handler) }
    }

    func remove(_ channel: Channel) {
        _ = connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var all: [(Channel, NIOLoopBound<ServerConnectionHandler>)] {
        connections.withLockedValue { Array($0.values) }
    }
}

/// A server for the services of one process: it listens, frames, routes, and drains on shutdown.
/// Every server answers `/crm.rpc.v1.Health/Check` without a token.
public final class RPCServer: Sendable {
    /// The health method every server registers (the generated `RpcV1.Health.Method.check`).
    public static let healthCheck = MethodDescriptor(service: "crm.rpc.v1.Health", method: "Check", kind: .unary)

    public let configuration: RPCServerConfiguration
    private let router: RPCRouter
    private let group: any EventLoopGroup
    private let logger: Logger
    private let registry = ConnectionRegistry()
    let admission: ServerAdmission
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var channel: Channel?
        var serving = false
    }

    public init(configuration: RPCServerConfiguration, router: RPCRouter, logger: Logger = Logger(label: "crm.rpc.server"), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        admission = ServerAdmission(maxConnections: configuration.maxConnections, maxConnectionsPerPeer: configuration.maxConnectionsPerPeer,
                                    maxBufferedFrameBytes: configuration.maxBufferedFrameBytes)
        var router = router
        let serviceNames = router.serviceNames
        let state = self.state
        let version = configuration.version
        router.registerUnary(Self.healthCheck) { (request: RpcV1.HealthCheckRequest, _) -> RpcV1.HealthCheckResponse in
            let serving = state.withLockedValue { $0.serving }
            let status: RpcV1.ServingStatus
            if !request.service.isEmpty && request.service != "crm.rpc.v1.Health" && !serviceNames.contains(request.service) {
                status = .serviceUnknown
            } else {
                status = serving ? .serving : .notServing
            }
            return RpcV1.HealthCheckResponse(status: status, version: version, services: serviceNames)
        }
        self.router = router
    }

    /// The port the server listens on, once started.
    public var port: Int? {
        state.withLockedValue { $0.channel?.localAddress?.port }
    }

    /// Binds and starts accepting connections.
    public func start() async throws {
        let configuration = self.configuration
        let router = self.router
        let registry = self.registry
        let logger = self.logger
        let admission = self.admission
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that closes its sending side after its last call still gets the answers.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Past the high mark of unsent answers the connection stops reading (backpressure).
            .childChannelOption(.writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(
                low: configuration.maxUnsentBytesPerConnection / 2, high: configuration.maxUnsentBytesPerConnection))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "?"
                    if let refusal = admission.admit(peer: peer) {
                        // Told why in a connection error (call id 0), then closed: no handler is added.
                        logger.notice("refusing a connection", metadata: ["peer": "\(peer)", "reason": "\(refusal.message)"])
                        let header = RpcV1.ResponseHeader(callId: 0, endOfStream: true, status: refusal.status)
                        let frame = try Frame.encode(header: header, body: { _ in }, allocator: channel.allocator)
                        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    channel.closeFuture.whenComplete { _ in admission.release(peer: peer) }
                    let sync = channel.pipeline.syncOperations
                    if let idle = configuration.idleTimeout {
                        try sync.addHandler(IdleStateHandler(allTimeout: idle))
                    }
                    try sync.addHandler(ByteToMessageHandler(FrameDecoder(limits: configuration.frameLimits, admission: admission, deadline: configuration.frameDeadline)))
                    try sync.addHandler(ServerConnectionHandler(router: router, configuration: configuration, registry: registry, admission: admission, logger: logger))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        state.withLockedValue {
            $0.channel = channel
            $0.serving = true
        }
        logger.info("listening", metadata: ["address": "\(configuration.host):\(channel.localAddress?.port ?? 0)"])
    }

    /// Waits until the listening socket is closed by `shutdown`.
    public func waitUntilClosed() async {
        guard let channel = state.withLockedValue({ $0.channel }) else { return }
        try? await channel.closeFuture.get()
    }

    /// Stops accepting, lets calls in flight finish for up to `gracePeriod`, then cancels the rest
    /// (they end UNAVAILABLE) and closes every connection.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        let listener = state.withLockedValue { state -> Channel? in
            state.serving = false
            return state.channel
        }
        try? await listener?.close()
        let connections = registry.all
        for (channel, handler) in connections {
            channel.eventLoop.execute { handler.value.beginDraining() }
        }
        // Past the grace period, whatever still runs is cancelled and its connection closed.
        let registry = self.registry
        let logger = self.logger
        let deadline = Task {
            try await Task.sleep(for: gracePeriod)
            logger.warning("grace period over; cancelling the calls still in flight")
            for (channel, handler) in registry.all {
                channel.eventLoop.execute { handler.value.forceClose() }
            }
        }
        for (channel, _) in connections { try? await channel.closeFuture.get() }
        deadline.cancel()
        logger.info("stopped")
    }
}
