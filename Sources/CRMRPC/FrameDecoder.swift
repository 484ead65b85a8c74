import NIOCore

/// Splits the byte stream into frames, checking each frame's length from its first four bytes,
/// so that an oversized frame is refused before any of it is buffered.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame

    let limits: FrameLimits

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length <= limits.maxFrameSize else {
            throw FramingError.frameTooLarge(Int(length), limit: limits.maxFrameSize)
        }
        guard let headerLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self) else { return .needMoreData }
        guard length >= 4, headerLength <= length - 4, headerLength <= limits.maxHeaderSize else {
            throw FramingError.badHeaderLength(Int(headerLength), frameLength: Int(length), limit: limits.maxHeaderSize)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 8)
        let header = buffer.readSlice(length: Int(headerLength))!
        let body = buffer.readSlice(length: Int(length) - 4 - Int(headerLength))!
        context.fireChannelRead(wrapInboundOut(Frame(header: header, body: body)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
