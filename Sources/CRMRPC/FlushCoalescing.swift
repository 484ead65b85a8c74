import NIOCore

/// A channel handler that writes frames as they are ready but flushes once per event loop tick,
/// so that the answers of many calls finishing together leave in one system call.
protocol FlushCoalescing: AnyObject, SendableMetatype {
    var context: ChannelHandlerContext? { get }
    var flushScheduled: Bool { get set }
}

extension FlushCoalescing {
    func writeCoalesced(_ frame: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(NIOAny(frame), promise: promise)
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            handler.context?.flush()
        }
    }
}
