import CRMWire
import NIOCore

/// Tracks the calls in flight on one client connection and routes response frames to them.
/// All state lives on the channel's event loop.
final class ClientConnectionHandler: ChannelInboundHandler, FlushCoalescing {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    enum Receiver {
        /// A unary call: completed by its final frame, which carries the response body.
        case unary(EventLoopPromise<ByteBuffer>)
        /// A server-streaming call: each frame's body is one message.
        case stream(AsyncThrowingStream<ByteBuffer, any Error>.Continuation)
    }

    private struct Call {
        let receiver: Receiver
        var timer: Scheduled<Void>?
    }

    private let decodeLimits: DecodeLimits
    private var calls: [UInt64: Call] = [:]
    private(set) var context: ChannelHandlerContext?
    private var closedReason: RPCError?
    var flushScheduled = false

    init(decodeLimits: DecodeLimits = DecodeLimits()) {
        self.decodeLimits = decodeLimits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Sends a call's OPEN frame.
    func start(_ id: UInt64, frame: ByteBuffer, receiver: Receiver, timeout: Duration?) {
        guard let context, closedReason == nil else {
            // The server never saw this call, so the client may safely send it again.
            switch receiver {
            case .unary(let promise): promise.fail(CallNotSent())
            case .stream(let continuation): continuation.finish(throwing: CallNotSent())
            }
            return
        }
        var call = Call(receiver: receiver, timer: nil)
        if let timeout {
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            call.timer = context.eventLoop.scheduleTask(in: timeout.timeAmount) {
                bound.value.end(id, with: RPCError(.deadlineExceeded, "no answer within \(timeout)"), notifyServer: true)
            }
        }
        calls[id] = call
        writeCoalesced(frame)
    }

    /// Ends a call on the client's side (task cancelled, stream abandoned) and tells the server.
    func cancel(_ id: UInt64) {
        end(id, with: RPCError(.cancelled, "the call was cancelled"), notifyServer: true)
    }

    private func end(_ id: UInt64, with error: RPCError, notifyServer: Bool) {
        guard let call = calls.removeValue(forKey: id) else { return }
        call.timer?.cancel()
        fail(call.receiver, error)
        if notifyServer, let context,
           let frame = try? Frame.encode(header: RpcV1.RequestHeader(callId: id, kind: .cancel), body: { _ in }, allocator: context.channel.allocator) {
            writeCoalesced(frame)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let header: RpcV1.ResponseHeader
        do {
            header = try RpcV1.ResponseHeader(buffer: frame.header, limits: decodeLimits)
        } catch {
            closeAll(RPCError(.internal, "the server sent a frame header that does not decode: \(error)"))
            return
        }
        guard header.callId != 0 else {
            // An error about the connection as a whole; the server closes it next.
            closeAll(header.status.map(RPCError.init(status:)) ?? RPCError(.unknown, "the server reported a connection error"))
            return
        }
        guard let call = calls[header.callId] else { return }  // cancelled or timed out here already
        if header.endOfStream {
            calls.removeValue(forKey: header.callId)
            call.timer?.cancel()
            let status = header.status ?? RpcV1.Status(code: .ok)
            guard status.code == .ok else {
                fail(call.receiver, RPCError(status: status))
                return
            }
            switch call.receiver {
            case .unary(let promise): promise.succeed(frame.body)
            case .stream(let continuation): continuation.finish()
            }
        } else {
            switch call.receiver {
            case .stream(let continuation): continuation.yield(frame.body)
            case .unary(let promise):
                calls.removeValue(forKey: header.callId)
                call.timer?.cancel()
                promise.fail(RPCError(.internal, "the server streamed to a unary call"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeAll(RPCError(.unavailable, "the connection to the server was lost"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let framing = error as? FramingError {
            closeAll(framing.rpcError)
        } else {
            closeAll(RPCError(.unavailable, "connection error: \(error)"))
        }
        context.close(promise: nil)
    }

    private func closeAll(_ error: RPCError) {
        if closedReason == nil { closedReason = error }
        let pending = calls
        calls.removeAll()
        for call in pending.values {
            call.timer?.cancel()
            fail(call.receiver, error)
        }
        context?.close(promise: nil)
    }

    private func fail(_ receiver: Receiver, _ error: RPCError) {
        switch receiver {
        case .unary(let promise): promise.fail(error)
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }

}

/// A call that failed before any of it was written: the connection had already closed.
struct CallNotSent: Error {}
