import CRMWire
import NIOCore
import NIOPosix

/// A client for one server: one multiplexed connection, opened on first use and reopened after a
/// loss, with deadlines, cancellation and typed errors. Generated clients (`LeadsV1.Leads.Client`)
/// wrap it. Share one per peer: it is `Sendable` and calls do not block each other.
public final class RPCClient: Sendable {
    public let configuration: RPCClientConfiguration
    private let manager: ConnectionManager

    public init(configuration: RPCClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.manager = ConnectionManager(configuration: configuration, group: group)
        self.executor = EventLoopTaskExecutor(manager.loop)
    }

    /// The event loop of this client's connection as a task executor. Calls made from a task that
    /// prefers it (`withTaskExecutorPreference(client.executor) { ... }`) are written and resumed
    /// on the connection's own thread: no hand-off to the event loop and back per call, which is
    /// most of a round trip's cost on loopback. For a caller that waits on one call at a time
    /// (latency-bound); work that needs more than one core stays on the default executor.
    public let executor: EventLoopTaskExecutor

    public convenience init(host: String, port: Int) {
        self.init(configuration: RPCClientConfiguration(host: host, port: port))
    }

    /// Closes the connection; calls in flight fail UNAVAILABLE and later calls are refused.
    public func close() async {
        await manager.close()
    }

    /// Calls a unary method.
    public func unary<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor,
        request: Request,
        options: CallOptions = CallOptions()
    ) async throws(RPCError) -> Response {
        let timeout = options.timeout ?? configuration.defaultTimeout
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await manager.connection(deadline: deadline, waitForReady: options.waitForReady)
            let id = connection.nextCallID()
            let remaining = deadline.map { $0 - .now }
            let frame = try encodeRequest(id: id, method: method, request: request, options: options, remaining: remaining, allocator: connection.channel.allocator)
            let promise = connection.channel.eventLoop.makePromise(of: ByteBuffer.self)
            connection.start(id, frame: frame, receiver: .unary(promise), timeout: remaining)
            let body: ByteBuffer
            do {
                body = try await withTaskCancellationHandler {
                    try await promise.futureResult.get()
                } onCancel: {
                    connection.cancel(id)
                }
            } catch let error as RPCError {
                throw error
            } catch is CallNotSent {
                // The connection closed under us before the call left: one more try on a new one.
                if attempt < 2 { continue }
                throw RPCError(.unavailable, "the connection to \(configuration.host):\(configuration.port) closed before the call was sent")
            } catch {
                throw RPCError(.unknown, "\(error)")
            }
            return try decodeResponse(body, of: method)
        }
    }

    private func decodeResponse<Response: WireMessage>(_ body: ByteBuffer, of method: MethodDescriptor) throws(RPCError) -> Response {
        do {
            return try Response(buffer: body, limits: DecodeLimits())
        } catch {
            throw RPCError(.internal, "the response of \(method) does not decode: \(error)")
        }
    }

    /// Calls a server-streaming method. The call starts when iteration starts; leaving the loop
    /// early cancels it.
    public func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor,
        request: Request,
        options: CallOptions = CallOptions()
    ) -> ResponseStream<Response> {
        ResponseStream { () throws(RPCError) in
            let timeout = options.timeout ?? self.configuration.defaultTimeout
            let deadline = timeout.map { ContinuousClock.now + $0 }
            let connection = try await self.manager.connection(deadline: deadline, waitForReady: options.waitForReady)
            let id = connection.nextCallID()
            let remaining = deadline.map { $0 - .now }
            let frame = try self.encodeRequest(id: id, method: method, request: request, options: options, remaining: remaining, allocator: connection.channel.allocator)
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            continuation.onTermination = { reason in
                if case .cancelled = reason { connection.cancel(id) }
            }
            connection.start(id, frame: frame, receiver: .stream(continuation), timeout: remaining)
            return stream
        }
    }

    private func encodeRequest<Request: WireMessage>(
        id: UInt64,
        method: MethodDescriptor,
        request: Request,
        options: CallOptions,
        remaining: Duration?,
        allocator: ByteBufferAllocator
    ) throws(RPCError) -> ByteBuffer {
        var header = RpcV1.RequestHeader(
            callId: id,
            kind: .open,
            method: method.path,
            authorization: options.metadata.authorization,
            idempotencyKey: options.metadata.idempotencyKey,
            traceId: options.metadata.traceID,
            metadata: options.metadata.entries.sorted { $0.key < $1.key }.map { RpcV1.MetadataEntry(key: $0.key, value: $0.value) }
        )
        if let remaining {
            guard remaining > .zero else { throw RPCError(.deadlineExceeded, "the deadline passed before the call was sent") }
            header.timeoutMs = UInt64(max(1, remaining.milliseconds))
        }
        let frame: ByteBuffer
        do {
            frame = try Frame.encode(header: header, body: { (buffer) throws(WireError) in try request.serialize(into: &buffer) }, allocator: allocator)
        } catch {
            throw RPCError(decoding: error, of: "request")
        }
        guard Frame.length(of: frame) <= configuration.frameLimits.maxFrameSize else {
            throw RPCError(.resourceExhausted, "the request of \(Frame.length(of: frame)) bytes exceeds the frame limit of \(configuration.frameLimits.maxFrameSize) bytes")
        }
        return frame
    }
}
