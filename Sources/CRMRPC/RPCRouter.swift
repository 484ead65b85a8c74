import CRMWire
import NIOCore

/// A service a server hosts: the generated `ServiceProtocol`s conform to this.
public protocol RPCService: Sendable {
    /// The service's full name, such as "crm.leads.v1.Leads".
    var serviceName: String { get }
    /// Adds the service's methods to `router`.
    func registerMethods(with router: inout RPCRouter)
}

/// The methods a server answers, by full method name.
public struct RPCRouter: Sendable {
    /// How a call's output leaves the handler: stream messages, already encoded as bodies.
    struct Output: Sendable {
        let sendMessage: @Sendable (ByteBuffer) async throws -> Void
    }

    /// One registered method: decodes the request, runs the handler, encodes the response.
    struct Route: Sendable {
        let descriptor: MethodDescriptor
        /// Returns the unary response body, or nil for a stream (whose messages went to `Output`).
        /// The request is decoded first (a malformed one is INVALID_ARGUMENT before anything else
        /// looks at it), then the interceptors run around the handler.
        let invoke: @Sendable (_ body: ByteBuffer, _ limits: DecodeLimits, _ context: ServerContext, _ output: Output, _ interceptors: [any ServerInterceptor]) async throws -> ByteBuffer?
    }

    private(set) var routes: [String: Route] = [:]
    /// Run around every handler, the last added outermost.
    var interceptors: [any ServerInterceptor] = []
    public private(set) var serviceNames: [String] = []

    public init() {}

    /// Adds every method of `service`.
    public mutating func register(_ service: some RPCService) {
        service.registerMethods(with: &self)
        if !serviceNames.contains(service.serviceName) { serviceNames.append(service.serviceName) }
    }

    public mutating func registerUnary<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        routes[method.path] = Route(descriptor: method) { body, limits, context, _, interceptors in
            let request = try Self.decodeRequest(Request.self, body, limits)
            let response = try await Self.withRequestBody(body, context) {
                try await Self.intercepted(interceptors, context) { context in try await handler(request, context) }
            }
            return try Self.encodeBody(response)
        }
    }

    public mutating func registerServerStreaming<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor,
        _ handler: @escaping @Sendable (Request, ResponseWriter<Response>, ServerContext) async throws -> Void
    ) {
        routes[method.path] = Route(descriptor: method) { body, limits, context, output, interceptors in
            let request = try Self.decodeRequest(Request.self, body, limits)
            let writer = ResponseWriter<Response> { message in
                try await output.sendMessage(try Self.encodeBody(message))
            }
            try await Self.withRequestBody(body, context) {
                try await Self.intercepted(interceptors, context) { context in try await handler(request, writer, context) }
            }
            return nil
        }
    }

    func route(for path: String) -> Route? { routes[path] }

    /// Runs `route` for one call with this router's interceptors.
    func invoke(_ route: Route, _ body: ByteBuffer, _ limits: DecodeLimits, _ context: ServerContext, _ output: Output) async throws -> ByteBuffer? {
        try await route.invoke(body, limits, context, output, interceptors)
    }

    /// `body` inside `interceptors`, the last one outermost (walked by index: nothing is
    /// allocated per call but the closures themselves).
    private static func intercepted<T: Sendable>(
        _ interceptors: [any ServerInterceptor], _ context: ServerContext, _ body: @escaping @Sendable (ServerContext) async throws -> T
    ) async throws -> T {
        try await intercepted(interceptors, upTo: interceptors.count, context, body)
    }

    private static func intercepted<T: Sendable>(
        _ interceptors: [any ServerInterceptor], upTo count: Int, _ context: ServerContext, _ body: @escaping @Sendable (ServerContext) async throws -> T
    ) async throws -> T {
        guard count > 0 else { return try await body(context) }
        return try await interceptors[count - 1].intercept(context: context) { context in
            try await intercepted(interceptors, upTo: count - 1, context, body)
        }
    }

    /// Runs `body` with the request's bytes at hand for idempotency, when the call has a key
    /// (only then are they hashed; other calls skip the task-local).
    private static func withRequestBody<T: Sendable>(_ body: ByteBuffer, _ context: ServerContext, _ run: () async throws -> T) async throws -> T {
        guard !context.metadata.idempotencyKey.isEmpty else { return try await run() }
        return try await RequestBody.$current.withValue(body) { try await run() }
    }

    private static func decodeRequest<M: WireMessage>(_ type: M.Type, _ body: ByteBuffer, _ limits: DecodeLimits) throws(RPCError) -> M {
        do {
            return try M(buffer: body, limits: limits)
        } catch {
            throw RPCError(decoding: error, of: "request")
        }
    }

    private static func encodeBody<M: WireMessage>(_ message: M) throws(RPCError) -> ByteBuffer {
        var buffer = ByteBuffer()
        do {
            try message.serialize(into: &buffer)
        } catch {
            throw RPCError(.internal, "the response could not be encoded: \(error)")
        }
        return buffer
    }
}

/// The encoded request of the call being served, as it arrived: what an idempotency key is
/// bound to (the same key with other bytes is another request).
public enum RequestBody {
    @TaskLocal public static var current: ByteBuffer?
}
