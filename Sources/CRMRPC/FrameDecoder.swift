import NIOCore

/// Splits the byte stream into frames, checking each frame's length from its first four bytes,
/// so that an oversized frame is refused before any of it is buffered. On a server it also
/// holds each started frame to a deadline, and its bytes to the server's budget for incomplete
/// frames (`ServerAdmission`), so that clients that start frames and never finish them cannot
/// hold the server's memory.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame

    let limits: FrameLimits
    /// The server's budget for incomplete frames; nil on a client.
    let admission: ServerAdmission?
    /// How long a frame may take to arrive once its first byte has; nil for no limit.
    let deadline: TimeAmount?
    /// The bytes reserved in the budget for the frame now arriving.
    private var reserved = 0
    private var timer: Scheduled<Void>?

    init(limits: FrameLimits, admission: ServerAdmission? = nil, deadline: TimeAmount? = nil) {
        self.limits = limits
        self.admission = admission
        self.deadline = deadline
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch try Frame.next(from: &buffer, limits: limits) {
        case .frame(let frame):
            finished()
            context.fireChannelRead(wrapInboundOut(frame))
            return .continue
        case .incomplete(let length):
            if let length, reserved == 0, let admission {
                guard admission.reserveFrame(length) else {
                    throw FramingError.serverBusy(limit: admission.maxBufferedFrameBytes)
                }
                reserved = length
            }
            return waiting(context, buffer)
        }
    }

    /// A frame has started (some of it is buffered): its deadline runs from now, once.
    private mutating func waiting(_ context: ChannelHandlerContext, _ buffer: ByteBuffer) -> DecodingState {
        guard buffer.readableBytes > 0, timer == nil, let deadline else { return .needMoreData }
        let seconds = deadline.nanoseconds / 1_000_000_000
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) {
            context.fireErrorCaught(FramingError.frameTimedOut(seconds: Int(seconds)))
        }
        return .needMoreData
    }

    /// The frame arrived (or the connection is gone): its deadline and its room in the budget end.
    private mutating func finished() {
        timer?.cancel()
        timer = nil
        if reserved > 0 {
            admission?.releaseFrame(reserved)
            reserved = 0
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        finished()
        return .needMoreData
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        finished()
    }
}

extension Frame {
    /// What the start of a byte stream holds: a whole frame (taken from `buffer`), or part of
    /// one (with its whole length once the prefix has arrived).
    public enum Next {
        case frame(Frame)
        case incomplete(length: Int?)
    }

    /// Takes the next frame from `buffer`, checking its lengths before anything is buffered for
    /// it; throws the framing error that closes a connection. The one framing parser, for
    /// connections and for the fuzzer.
    public static func next(from buffer: inout ByteBuffer, limits: FrameLimits) throws(FramingError) -> Next {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .incomplete(length: nil) }
        guard length <= limits.maxFrameSize else {
            throw FramingError.frameTooLarge(Int(length), limit: limits.maxFrameSize)
        }
        guard let headerLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return .incomplete(length: 4 + Int(length)) }
        guard length >= 4, headerLength <= length - 4, headerLength <= limits.maxHeaderSize else {
            throw FramingError.badHeaderLength(Int(headerLength), frameLength: Int(length), limit: limits.maxHeaderSize)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .incomplete(length: 4 + Int(length)) }
        buffer.moveReaderIndex(forwardBy: 8)
        let header = buffer.readSlice(length: Int(headerLength))!
        let body = buffer.readSlice(length: Int(length) - 4 - Int(headerLength))!
        return .frame(Frame(header: header, body: body))
    }
}
