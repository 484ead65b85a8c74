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
        let invoke: @Sendable (_ body: ByteBuffer, _ limits: DecodeLimits, _ context: ServerContext, _ output: Output) async throws -> ByteBuffer?
    }

    var routes: [String: Route] = [:]
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
        routes[method.path] = Route(descriptor: method) { body, limits, context, _ in
            let request = try Self.decodeRequest(Request.self, body, limits)
            let response = try await handler(request, context)
            return try Self.encodeBody(response)
        }
    }

    public mutating func registerServerStreaming<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor,
        _ handler: @escaping @Sendable (Request, ResponseWriter<Response>, ServerContext) async throws -> Void
    ) {
        routes[method.path] = Route(descriptor: method) { body, limits, context, output in
            let request = try Self.decodeRequest(Request.self, body, limits)
            let writer = ResponseWriter<Response> { message in
                try await output.sendMessage(try Self.encodeBody(message))
            }
            try await handler(request, writer, context)
            return nil
        }
    }

    func route(for path: String) -> Route? { routes[path] }

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
