import CRMWire
import NIOCore

extension RPCRouter {
    /// Calls a unary method in this process, as a client over TCP would but without the
    /// connection: the request is encoded, decoded with the server's limits, run through the
    /// interceptors and the handler, and the answer decoded back. For fast tests of handlers.
    public func call<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor, _ request: Request, metadata: Metadata = Metadata(), as _: Response.Type = Response.self
    ) async throws(RPCError) -> Response {
        guard let route = route(for: method.path) else { throw RPCError(.unimplemented, "\(method.path) is not served here") }
        var body = ByteBuffer()
        do { try request.serialize(into: &body) } catch { throw RPCError(.internal, "the request could not be encoded: \(error)") }
        let context = ServerContext(method: method, metadata: metadata, deadline: .now + .seconds(30), peer: "in-process")
        let output = Output { _ in }
        let answer: ByteBuffer?
        do {
            answer = try await invoke(route, body, DecodeLimits.requests, context, output)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(.unknown, "\(error)")
        }
        guard let answer else { throw RPCError(.internal, "\(method.path) is a streaming method") }
        // As over TCP: an answer bigger than a frame never reaches the client.
        let limit = FrameLimits().maxFrameSize - FrameLimits().maxHeaderSize
        guard answer.readableBytes <= limit else {
            throw RPCError(.resourceExhausted, "the response of \(answer.readableBytes) bytes exceeds the frame limit of \(FrameLimits().maxFrameSize) bytes")
        }
        do {
            return try Response(buffer: answer, limits: DecodeLimits())
        } catch {
            throw RPCError(.internal, "the response does not decode: \(error)")
        }
    }
}
