import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The web forms' HTTP/1.1 listener (SwiftNIO's HTTP codec; no framework: one path, four
/// answers): it reads a request with a body of at most `maxBodyBytes`, hands it to
/// `FormsEndpoint`, and writes the answer. A connection idle for 10 s is closed, so a slow
/// client holds nothing for long.
public final class FormsHTTPServer: Service, Sendable {
    public static let maxBodyBytes = 64 * 1024

    let endpoint: FormsEndpoint
    private let host: String
    private let port: Int
    /// Proxies (the site's TLS terminator) whose X-Forwarded-For names the visitor.
    private let trustedProxies: Set<String>
    private let logger: Logger
    private let bound = Mutex<Int?>(nil)

    init(endpoint: FormsEndpoint, host: String, port: Int, trustedProxies: Set<String> = [], logger: Logger) {
        self.endpoint = endpoint
        self.host = host
        self.port = port
        self.trustedProxies = trustedProxies
        self.logger = logger
    }

    /// The port it listens on, once it does.
    public var boundPort: Int? { bound.withLock { $0 } }

    public func run() async throws {
        let endpoint = self.endpoint
        let trusted = self.trustedProxies
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FormsHTTPHandler(endpoint: endpoint, trustedProxies: trusted))
                }
            }
            .bind(host: host, port: port).get()
        let port = channel.localAddress?.port ?? port
        bound.withLock { $0 = port }
        logger.info("web forms listening", metadata: ["address": "\(host):\(port)", "path": "/forms"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// One request at a time per connection: its head, its body up to the cap, then the answer
/// (and the connection closed).
final class FormsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoint: FormsEndpoint
    let trustedProxies: Set<String>
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var refused = false

    init(endpoint: FormsEndpoint, trustedProxies: Set<String>) {
        self.endpoint = endpoint
        self.trustedProxies = trustedProxies
    }

    /// The visitor's address: the connection's, or, from a trusted proxy, the last address its
    /// X-Forwarded-For adds (the one it saw; earlier entries are the client's to forge).
    static func visitor(connection: String, forwardedFor: [String], trusted: Set<String>) -> String {
        guard trusted.contains(connection) else { return connection }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last ?? connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            body = []
            refused = false
            if let length = request.headers.first(name: "Content-Length").flatMap(Int.init), length > FormsHTTPServer.maxBodyBytes {
                refuse(context, version: request.version)
            }
        case .body(var buffer):
            guard !refused else { return }
            if body.count + buffer.readableBytes > FormsHTTPServer.maxBodyBytes {
                refuse(context, version: head?.version ?? .http1_1)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard !refused, let head else { return }
            let peer = Self.visitor(connection: context.channel.remoteAddress?.ipAddress ?? "unknown",
                                    forwardedFor: head.headers["X-Forwarded-For"], trusted: trustedProxies)
            let request = FormsEndpoint.Request(
                method: head.method.rawValue, path: head.uri, contentType: head.headers.first(name: "Content-Type") ?? "",
                accept: head.headers.first(name: "Accept") ?? "", peer: peer, body: body)
            body = []
            Self.answer(request, by: endpoint, on: context.channel, version: head.version, withBody: head.method != .HEAD)
        }
    }

    /// Asks the endpoint off the event loop (a submission waits for the database) and writes
    /// its answer when it comes.
    private static func answer(_ request: FormsEndpoint.Request, by endpoint: FormsEndpoint, on channel: any Channel, version: HTTPVersion, withBody: Bool) {
        Task {
            let answer = await endpoint.handle(request)
            write(answer, to: channel, version: version, withBody: withBody)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }

    /// 413 for a body over the cap, and the connection closed without reading the rest.
    private func refuse(_ context: ChannelHandlerContext, version: HTTPVersion) {
        refused = true
        body = []
        Self.write(FormsEndpoint.tooLarge(), to: context.channel, version: version, withBody: true)
    }

    private static func write(_ answer: FormsEndpoint.Answer, to channel: any Channel, version: HTTPVersion, withBody: Bool) {
        var headers = HTTPHeaders(answer.headers)
        headers.add(name: "Content-Length", value: String(answer.body.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "same-origin")
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if withBody { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: answer.body))), promise: nil) }
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
    }
}
