import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Prometheus text on `GET /metrics` over plain HTTP/1.1, for a scraper or a person with curl:
/// every swift-metrics value of the process (calls by method and status, latency histograms,
/// calls in flight, group-commit sizes) plus what `gauges` measure at each scrape (the
/// database's size). Off unless `--metrics-listen` is given.
public final class MetricsEndpoint: Service, Sendable {
    public let registry: PrometheusCollectorRegistry
    private let host: String
    private let port: Int
    private let gauges: @Sendable () -> Void
    private let logger: Logger

    /// Makes the process's metrics go to a Prometheus registry (once per process) and serves it.
    /// `gauges` runs before each scrape, to set values that are read rather than counted.
    public init(host: String, port: Int, logger: Logger, gauges: @escaping @Sendable () -> Void = {}) {
        self.registry = MetricsEndpoint.bootstrap()
        self.host = host
        self.port = port
        self.gauges = gauges
        self.logger = logger
    }

    private static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Calls take from tens of microseconds (a read) to seconds (an import).
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Sends every swift-metrics value of the process to the endpoint's registry (once).
    public static func bootstrap() -> PrometheusCollectorRegistry { shared }

    /// The text a scrape answers.
    public func exposition() -> [UInt8] {
        gauges()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    public func run() async throws {
        let endpoint = self
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(endpoint: endpoint))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("metrics listening", metadata: ["address": "\(host):\(channel.localAddress?.port ?? port)", "path": "/metrics"])
        // Serves until shutdown; then the listener closes (scrapes in flight are short).
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// Answers GET /metrics with the exposition, anything else with 404 or 405.
private final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let endpoint: MetricsEndpoint

    init(endpoint: MetricsEndpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let (status, body, type): (HTTPResponseStatus, [UInt8], String)
        switch (request.method, request.uri.split(separator: "?").first.map(String.init) ?? request.uri) {
        case (.GET, "/metrics"): (status, body, type) = (.ok, endpoint.exposition(), "text/plain; version=0.0.4; charset=utf-8")
        case (_, "/metrics"): (status, body, type) = (.methodNotAllowed, Array("only GET\n".utf8), "text/plain; charset=utf-8")
        default: (status, body, type) = (.notFound, Array("metrics are at /metrics\n".utf8), "text/plain; charset=utf-8")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        // Closed once the answer is out (Connection: close): the channel, not the handler's context,
        // is what the completion may hold.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
