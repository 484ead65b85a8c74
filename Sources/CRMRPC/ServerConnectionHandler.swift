import CRMWire
import Logging
import Metrics
import NIOCore

/// Serves the calls of one connection. All of its state lives on the channel's event loop;
/// handlers run as tasks and come back to the loop to write.
///
/// Backpressure: past `maxUnsentBytesPerConnection` of answers the socket has not taken (the
/// channel's high water mark) the connection stops reading and the calls already read wait,
/// unstarted, until the client has read half of them; a large answer that would take the
/// connection past four times that bound, or the server past `maxUnsentBytes`, is replaced by
/// a small RESOURCE_EXHAUSTED answer. A client that never reads costs a bounded amount.
final class ServerConnectionHandler: ChannelDuplexHandler, FlushCoalescing {
    typealias InboundIn = Frame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Call {
        /// nil until the handler's task exists, and for a handler that finished without suspending.
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
        let method: MethodDescriptor
        let started: ContinuousClock.Instant
        let traceID: String
    }

    private let router: RPCRouter
    private let configuration: RPCServerConfiguration
    private let registry: ConnectionRegistry
    private var logger: Logger
    private var peer = "?"
    private var peerAddress = "?"
    /// Metric handles by method path (and code), made once per connection rather than per call.
    private var timers: [String: Metrics.Timer] = [:]
    private var counters: [String: [Int32: Counter]] = [:]
    private var calls: [UInt64: Call] = [:]
    private(set) var context: ChannelHandlerContext?
    var flushScheduled = false
    private var draining = false
    private var closing = false
    private let admission: ServerAdmission
    /// Bytes of large answers written and not yet taken by the socket.
    private var unsent = 0
    /// Calls read and not started (the connection over its unsent bound, or its running calls
    /// at their limit), in order.
    private var parked = CircularBuffer<(header: RpcV1.RequestHeader, body: ByteBuffer)>()
    private var startingWaiting = false
    /// Whether a read was held back while over the bound.
    private var readWithheld = false
    /// Whether the client closed its sending side: the connection closes once every call read is answered.
    private var inputClosed = false

    init(router: RPCRouter, configuration: RPCServerConfiguration, registry: ConnectionRegistry, admission: ServerAdmission, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.registry = registry
        self.admission = admission
        self.logger = logger
    }

    /// Over the bound (the channel's high water mark, set to `maxUnsentBytesPerConnection`):
    /// read nothing more, start nothing more.
    private var full: Bool { !(context?.channel.isWritable ?? true) }

    /// Frames up to this size are not counted one by one (a promise each would cost the fast
    /// path): the water mark bounds them, since reading stops when it is passed.
    private static let countedFrameSize = 4_096

    func read(context: ChannelHandlerContext) {
        if full {
            readWithheld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            startWaiting()
            if readWithheld && !full {
                readWithheld = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Whether an answer of `size` bytes may be written now (counting it if so); small frames
    /// always may.
    private func hasRoom(for size: Int) -> Bool {
        guard size > Self.countedFrameSize else { return true }
        guard unsent + size <= 4 * configuration.maxUnsentBytesPerConnection else { return false }
        return admission.reserveUnsent(size, limit: configuration.maxUnsentBytes, always: false)
    }

    /// Writes a frame (one `hasRoom` allowed), and uncounts a large one once the socket has taken it.
    private func send(_ frame: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        let size = frame.readableBytes
        guard let context else {
            if size > Self.countedFrameSize { admission.releaseUnsent(size) }
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard size > Self.countedFrameSize else { return writeCoalesced(frame, promise: promise) }
        unsent += size
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.taken(size) }
        writeCoalesced(frame, promise: written)
    }

    private func taken(_ size: Int) {
        unsent -= size
        admission.releaseUnsent(size)
        closeIfDrained()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        peer = context.remoteAddress.map { "\($0)" } ?? "?"
        peerAddress = context.remoteAddress?.ipAddress ?? "?"
        logger[metadataKey: "peer"] = "\(peer)"
        registry.add(context.channel, NIOLoopBound(self, eventLoop: context.eventLoop))
    }

    func channelInactive(context: ChannelHandlerContext) {
        for call in calls.values {
            call.timer?.cancel()
            call.task?.cancel()
        }
        if configuration.recordMetrics { Self.inFlight.decrement(by: Double(calls.count)) }
        calls.removeAll()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        let header: RpcV1.RequestHeader
        do {
            header = try RpcV1.RequestHeader(buffer: frame.header, limits: configuration.decodeLimits)
        } catch {
            closeWithError(RPCError(decoding: error, of: "request header"))
            return
        }
        guard header.callId != 0 else {
            closeWithError(.invalidArgument(field: "call_id", "must not be 0"))
            return
        }
        switch header.kind {
        case .cancel:
            // At once, for a running call or a waiting one (which then never starts).
            if let index = parked.firstIndex(where: { $0.header.callId == header.callId }) {
                parked.remove(at: index)
            } else {
                cancel(header.callId)
            }
        case .open where !parked.isEmpty || full || calls.count >= configuration.maxRunningCallsPerConnection:
            // Waits its turn: reads stop while full, and only so many calls run at once.
            guard parked.count + calls.count < configuration.maxConcurrentCallsPerConnection else {
                if full {
                    closeWithError(RPCError(.resourceExhausted, "the client sends calls and reads no answers (\(unsent) bytes unread)"))
                } else {
                    writeFinal(header.callId, .failure(RPCError(.resourceExhausted, "more than \(configuration.maxConcurrentCallsPerConnection) calls in flight on one connection")))
                }
                return
            }
            parked.append((header, frame.body))
        case .open:
            open(header, body: frame.body)
        default:
            guard calls[header.callId] == nil else {
                closeWithError(.invalidArgument(field: "kind", "must be FRAME_KIND_OPEN or FRAME_KIND_CANCEL"))
                return
            }
            writeFinal(header.callId, .failure(RPCError.invalidArgument(field: "kind", "must be FRAME_KIND_OPEN or FRAME_KIND_CANCEL")))
        }
    }

    /// Starts the calls that wait, in order, while there is room.
    private func startWaiting() {
        guard !startingWaiting else { return }  // a call that finishes at once must not recurse
        startingWaiting = true
        defer { startingWaiting = false }
        while !parked.isEmpty && !full && !closing && calls.count < configuration.maxRunningCallsPerConnection {
            let (header, body) = parked.removeFirst()
            open(header, body: body)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let framing = error as? FramingError {
            closeWithError(framing.rpcError)
        } else if closing {
            return  // the connection is already being closed for a reason that was reported
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Half-closed: answer every call read, then close.
            inputClosed = true
            closeIfDrained()
        } else if event is IdleStateHandler.IdleStateEvent, calls.isEmpty {
            logger.debug("closing idle connection")
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: calls

    private func open(_ header: RpcV1.RequestHeader, body: ByteBuffer) {
        let id = header.callId
        guard calls[id] == nil else {
            closeWithError(.invalidArgument(field: "call_id", "\(id) is already open on this connection"))
            return
        }
        guard !draining else {
            writeFinal(id, .failure(RPCError(.unavailable, "the server is shutting down")))
            return
        }
        guard calls.count < configuration.maxConcurrentCallsPerConnection else {
            writeFinal(id, .failure(RPCError(.resourceExhausted, "more than \(configuration.maxConcurrentCallsPerConnection) calls in flight on one connection")))
            return
        }
        guard let route = router.route(for: header.method) else {
            writeFinal(id, .failure(RPCError(.unimplemented, "this server does not serve \(header.method.isEmpty ? "an empty method name" : header.method)")))
            return
        }
        guard let context else { return }
        let loop = context.eventLoop
        let started = ContinuousClock.now
        let timeout = header.timeoutMs > 0 ? min(header.timeoutMs, UInt64(Int64.max / 1_000_000)) : 0
        let deadline = timeout > 0 ? started + .milliseconds(Int64(timeout)) : nil
        let serverContext = ServerContext(
            method: route.descriptor,
            metadata: Metadata(header: header),
            deadline: deadline,
            peer: peer,
            peerAddress: peerAddress,
            logger: logger
        )

        let bound = NIOLoopBound(self, eventLoop: loop)
        let allocator = context.channel.allocator
        let maxFrameSize = configuration.frameLimits.maxFrameSize
        let output = RPCRouter.Output { body in
            let frame = try Frame.encode(header: RpcV1.ResponseHeader(callId: id, endOfStream: false), body: { $0.writeImmutableBuffer(body) }, allocator: allocator)
            guard Frame.length(of: frame) <= maxFrameSize else {
                throw RPCError(.resourceExhausted, "a response message of \(body.readableBytes) bytes exceeds the frame limit")
            }
            try await loop.flatSubmit {
                bound.value.writeStreamFrame(id, frame) ?? loop.makeFailedFuture(CancellationError())
            }.get()
        }
        let limits = configuration.decodeLimits
        let interceptors = router.interceptors
        // The call is registered before its handler starts, because the handler may finish
        // before Task.immediate returns.
        calls[id] = Call(task: nil, timer: nil, method: route.descriptor, started: started, traceID: header.traceId)
        if configuration.recordMetrics { Self.inFlight.increment() }
        if deadline != nil {
            calls[id]?.timer = loop.scheduleTask(in: .milliseconds(Int64(timeout))) { bound.value.expire(id, after: timeout) }
        }
        // The handler runs right here on the event loop until it first suspends: decoding,
        // validation and a handler that answers without waiting cost no thread hop. Work that
        // waits (a database, another service) continues on the global executor.
        let task = Task.immediate {
            let outcome: Result<ByteBuffer?, any Error>
            do {
                outcome = .success(try await route.invoke(body, limits, serverContext, output, interceptors))
            } catch {
                outcome = .failure(error)
            }
            if loop.inEventLoop {
                bound.value.finish(id, outcome)
            } else {
                loop.execute { bound.value.finish(id, outcome) }
            }
        }
        calls[id]?.task = task
    }

    private func finish(_ id: UInt64, _ outcome: Result<ByteBuffer?, any Error>) {
        guard let call = calls.removeValue(forKey: id) else { return }  // cancelled or expired already
        call.timer?.cancel()
        let code = writeFinal(id, outcome.mapError(Self.rpcError))
        record(call, code: code)
        startWaiting()
        closeIfDrained()
    }

    private func expire(_ id: UInt64, after timeout: UInt64) {
        guard let call = calls.removeValue(forKey: id) else { return }
        call.task?.cancel()
        writeFinal(id, .failure(RPCError(.deadlineExceeded, "deadline of \(timeout) ms exceeded")))
        record(call, code: .deadlineExceeded)
        startWaiting()
        closeIfDrained()
    }

    private func cancel(_ id: UInt64) {
        // The client gave up on the call; it expects no answer.
        guard let call = calls.removeValue(forKey: id) else { return }
        call.timer?.cancel()
        call.task?.cancel()
        record(call, code: .cancelled)
        startWaiting()
        closeIfDrained()
    }

    /// Writes one message of a stream; nil when the call is already over.
    private func writeStreamFrame(_ id: UInt64, _ frame: ByteBuffer) -> EventLoopFuture<Void>? {
        guard let context, calls[id] != nil, !closing else { return nil }
        guard hasRoom(for: frame.readableBytes) else {
            return context.eventLoop.makeFailedFuture(RPCError(.resourceExhausted, "the client has not read \(unsent) bytes of answers on this connection"))
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        send(frame, promise: promise)
        return promise.futureResult
    }

    /// Writes the call's final frame and returns the status code it carried.
    @discardableResult
    private func writeFinal(_ id: UInt64, _ outcome: Result<ByteBuffer?, RPCError>) -> RPCError.Code {
        guard let context, !closing else { return .cancelled }
        var header = RpcV1.ResponseHeader(callId: id, endOfStream: true, status: RpcV1.Status(code: .ok))
        var body: ByteBuffer? = nil
        switch outcome {
        case .success(let responseBody): body = responseBody
        case .failure(let error): header.status = error.status
        }
        do {
            var frame = try Frame.encode(header: header, body: { if let body { $0.writeImmutableBuffer(body) } }, allocator: context.channel.allocator)
            if Frame.length(of: frame) > configuration.frameLimits.maxFrameSize {
                header.status = RPCError(.resourceExhausted, "the response of \(body?.readableBytes ?? 0) bytes exceeds the frame limit of \(configuration.frameLimits.maxFrameSize) bytes").status
                frame = try Frame.encode(header: header, body: { _ in }, allocator: context.channel.allocator)
            }
            if !hasRoom(for: frame.readableBytes) {
                header.status = RPCError(.resourceExhausted, "the answer of \(frame.readableBytes) bytes was dropped: the client has not read \(unsent) bytes of answers on this connection").status
                frame = try Frame.encode(header: header, body: { _ in }, allocator: context.channel.allocator)
                _ = hasRoom(for: frame.readableBytes)
            }
            send(frame)
        } catch {
            // Only a status message with a NUL could fail to encode; say so without it.
            header.status = RpcV1.Status(code: .internal, message: "the status could not be encoded")
            if let frame = try? Frame.encode(header: header, body: { _ in }, allocator: context.channel.allocator) {
                _ = hasRoom(for: frame.readableBytes)
                send(frame)
            }
        }
        return header.status?.code ?? .ok
    }

    /// Says what went wrong with the connection as a whole (call id 0), then closes it.
    private func closeWithError(_ error: RPCError) {
        guard let context, !closing else { return }
        logger.info("closing connection after a protocol error", metadata: ["error": "\(error)"])
        closing = true
        for call in calls.values {
            call.timer?.cancel()
            call.task?.cancel()
        }
        if configuration.recordMetrics { Self.inFlight.decrement(by: Double(calls.count)) }
        calls.removeAll()
        let header = RpcV1.ResponseHeader(callId: 0, endOfStream: true, status: error.status)
        if let frame = try? Frame.encode(header: header, body: { _ in }, allocator: context.channel.allocator) {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    private static func rpcError(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case is CancellationError: return RPCError(.cancelled, "the call was cancelled")
        default: return RPCError(.internal, "internal error")
        }
    }

    /// Calls being served by this process, over every connection.
    static let inFlight = Meter(label: "crm_rpc_server_calls_in_flight")

    private func record(_ call: Call, code: RPCError.Code) {
        let nanoseconds = (ContinuousClock.now - call.started).nanoseconds
        let metrics = configuration.recordMetrics
        if metrics {
            Self.inFlight.decrement()
            let path = call.method.path
            if let counter = counters[path]?[code.protoValue] {
                counter.increment()
            } else {
                let counter = Counter(label: "crm_rpc_server_calls_total", dimensions: [("method", path), ("code", code.name)])
                counters[path, default: [:]][code.protoValue] = counter
                counter.increment()
            }
            if let timer = timers[path] {
                timer.recordNanoseconds(nanoseconds)
            } else {
                let timer = Metrics.Timer(label: "crm_rpc_server_call_duration", dimensions: [("method", path)])
                timers[path] = timer
                timer.recordNanoseconds(nanoseconds)
            }
        }
        let level: Logger.Level = code == .internal ? .error : .info
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "method": "\(call.method.path)", "code": "\(code.name)", "duration_ms": "\(Double(nanoseconds) / 1e6)",
        ]
        if !call.traceID.isEmpty { metadata["trace_id"] = "\(call.traceID)" }
        logger.log(level: level, "call finished", metadata: metadata)
    }

    // MARK: shutdown

    /// Stops taking calls; closes the connection once the calls in flight are done.
    func beginDraining() {
        draining = true
        startWaiting()  // the calls that wait are told UNAVAILABLE
        closeIfDrained()
    }

    /// Cancels whatever is still running and closes.
    func forceClose() {
        for (header, _) in parked {
            writeFinal(header.callId, .failure(RPCError(.unavailable, "the server shut down before the call started")))
        }
        parked.removeAll()
        for (id, call) in calls {
            call.timer?.cancel()
            call.task?.cancel()
            writeFinal(id, .failure(RPCError(.unavailable, "the server shut down before the call finished")))
        }
        if configuration.recordMetrics { Self.inFlight.decrement(by: Double(calls.count)) }
        calls.removeAll()
        context?.flush()  // answers written this tick must leave before the close
        context?.close(promise: nil)
    }

    private func closeIfDrained() {
        // Once every answer is out: closing sooner would drop the ones the socket has not taken.
        guard draining || inputClosed, calls.isEmpty, parked.isEmpty, unsent == 0, !closing, let context else { return }
        context.flush()  // the last answers may still wait for this tick's flush
        context.close(promise: nil)
    }
}
