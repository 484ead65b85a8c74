import CRMWire
import NIOCore

/// One frame on a connection: a header message and a body, both still encoded.
///
///     | L: u32 BE | H: u32 BE | header (H bytes) | body (L - 4 - H bytes) |
///
/// L counts the bytes after itself; H <= L - 4 and H <= `FrameLimits.maxHeaderSize`.
public struct Frame: Sendable {
    public var header: ByteBuffer
    public var body: ByteBuffer
}

/// The bounds every frame is checked against before it is buffered.
public struct FrameLimits: Sendable, Hashable {
    /// The largest L (frame length after the length prefix) accepted.
    public var maxFrameSize: Int
    /// The largest header accepted.
    public var maxHeaderSize: Int

    public init(maxFrameSize: Int = 4 * 1024 * 1024, maxHeaderSize: Int = 8 * 1024) {
        self.maxFrameSize = maxFrameSize
        self.maxHeaderSize = maxHeaderSize
    }
}

/// A frame that breaks the framing rules; the connection that sent it is closed.
public enum FramingError: Error, Equatable {
    case frameTooLarge(Int, limit: Int)
    case badHeaderLength(Int, frameLength: Int, limit: Int)
    /// A frame started and did not finish within the deadline.
    case frameTimedOut(seconds: Int)
    /// The server holds its limit of bytes for incomplete frames.
    case serverBusy(limit: Int)

    /// The connection error the server answers it with.
    public var rpcError: RPCError {
        switch self {
        case .frameTooLarge(let size, let limit):
            return RPCError(.resourceExhausted, "frame of \(size) bytes exceeds the limit of \(limit) bytes")
        case .badHeaderLength(let h, let l, let limit):
            return RPCError(.invalidArgument, "header length \(h) does not fit a frame of \(l) bytes (headers are at most \(limit) bytes)")
        case .frameTimedOut(let seconds):
            return RPCError(.deadlineExceeded, "a frame started and did not arrive whole within \(seconds) s")
        case .serverBusy(let limit):
            return RPCError(.resourceExhausted, "the server holds its limit of \(limit) bytes of incomplete frames; try again later")
        }
    }
}

extension ByteBuffer: WireSink {
    public mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            fill(UnsafeMutableRawBufferPointer(rebasing: space[0..<count]))
            return count
        }
    }
}

extension WireMessage {
    /// Decodes the readable bytes of `buffer`.
    init(buffer: ByteBuffer, limits: DecodeLimits) throws(WireError) {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(WireError) in try Self(serializedBytes: bytes, limits: limits) }
        }
        self = try result.get()
    }
}

extension Frame {
    /// Encodes a whole frame into one buffer, ready to write.
    static func encode<Header: WireMessage>(
        header: Header,
        body: (inout ByteBuffer) throws(WireError) -> Void,
        allocator: ByteBufferAllocator
    ) throws(WireError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(0))
        try header.serialize(into: &buffer)
        let headerLength = buffer.writerIndex - 8
        try body(&buffer)
        buffer.setInteger(UInt32(buffer.writerIndex - 4), at: 0)
        buffer.setInteger(UInt32(headerLength), at: 4)
        return buffer
    }

    /// The frame's length as counted by L (everything after the length prefix).
    static func length(of encoded: ByteBuffer) -> Int { encoded.readableBytes - 4 }
}
