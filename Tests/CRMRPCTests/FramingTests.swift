import CRMWire
import NIOCore
import NIOEmbedded
import Testing
@testable import CRMRPC

@Suite("Framing on an EmbeddedChannel", .timeLimit(.minutes(3)))
struct FramingTests {
    func frame(header: [UInt8], body: [UInt8]) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(UInt32(4 + header.count + body.count))
        b.writeInteger(UInt32(header.count))
        b.writeBytes(header)
        b.writeBytes(body)
        return b
    }

    func decoderChannel(limits: FrameLimits = FrameLimits()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits)))
        return channel
    }

    func readFrames(_ channel: EmbeddedChannel) throws -> [([UInt8], [UInt8])] {
        var out: [([UInt8], [UInt8])] = []
        while let f = try channel.readInbound(as: Frame.self) {
            out.append((Array(f.header.readableBytesView), Array(f.body.readableBytesView)))
        }
        return out
    }

    @Test("a frame split into single bytes is reassembled")
    func splitFrames() throws {
        let channel = try decoderChannel()
        let bytes = frame(header: [1, 2, 3], body: [4, 5])
        for byte in bytes.readableBytesView {
            var one = ByteBuffer()
            one.writeInteger(byte)
            try channel.writeInbound(one)
        }
        let frames = try readFrames(channel)
        #expect(frames.count == 1)
        #expect(frames[0].0 == [1, 2, 3])
        #expect(frames[0].1 == [4, 5])
    }

    @Test("several frames in one read come out in order; empty header and body are valid")
    func severalFrames() throws {
        let channel = try decoderChannel()
        var all = frame(header: [1], body: [])
        var second = frame(header: [], body: [])
        var third = frame(header: [3, 3], body: [9, 9, 9])
        all.writeBuffer(&second)
        all.writeBuffer(&third)
        try channel.writeInbound(all)
        let frames = try readFrames(channel)
        #expect(frames.map(\.0) == [[1], [], [3, 3]])
        #expect(frames.map(\.1) == [[], [], [9, 9, 9]])
    }

    @Test("an oversized frame is refused from its length prefix alone")
    func oversized() throws {
        let channel = try decoderChannel(limits: FrameLimits(maxFrameSize: 1024))
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(1025))
        #expect(throws: FramingError.frameTooLarge(1025, limit: 1024)) { try channel.writeInbound(prefix) }
    }

    @Test("a header longer than its frame, or than the header limit, is refused")
    func badHeaderLength() throws {
        var b = ByteBuffer()
        b.writeInteger(UInt32(10))
        b.writeInteger(UInt32(7))  // 7 > 10 - 4
        #expect(throws: FramingError.self) { try decoderChannel().writeInbound(b) }

        var big = ByteBuffer()
        big.writeInteger(UInt32(9000))
        big.writeInteger(UInt32(8193))
        #expect(throws: FramingError.self) { try decoderChannel().writeInbound(big) }

        var short = ByteBuffer()
        short.writeInteger(UInt32(2))  // shorter than the header length field
        short.writeInteger(UInt32(0))
        #expect(throws: FramingError.self) { try decoderChannel().writeInbound(short) }
    }

    @Test("the server answers garbage with a connection error (call id 0) and closes")
    func serverGarbage() throws {
        let channel = EmbeddedChannel()
        let registry = ConnectionRegistry()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(limits: FrameLimits())))
        try channel.pipeline.syncOperations.addHandler(ServerConnectionHandler(router: RPCRouter(), configuration: RPCServerConfiguration(), registry: registry, admission: ServerAdmission(maxConnections: 10, maxConnectionsPerPeer: 10, maxBufferedFrameBytes: 1 << 20), logger: .init(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // A header that is not a RequestHeader: an invalid varint.
        try channel.writeInbound(frame(header: [0x08, 0xff], body: []))
        var out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let length = out.readInteger(as: UInt32.self)!
        let headerLength = out.readInteger(as: UInt32.self)!
        #expect(Int(length) == out.readableBytes + 4)
        let header = try RpcV1.ResponseHeader(serializedBytes: Array(out.readBytes(length: Int(headerLength))!))
        #expect(header.callId == 0)
        #expect(header.endOfStream)
        #expect(header.status?.code == .invalidArgument)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("the server answers an oversized frame with RESOURCE_EXHAUSTED and closes")
    func serverOversized() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(limits: FrameLimits(maxFrameSize: 64))))
        try channel.pipeline.syncOperations.addHandler(ServerConnectionHandler(router: RPCRouter(), configuration: RPCServerConfiguration(), registry: ConnectionRegistry(), admission: ServerAdmission(maxConnections: 10, maxConnectionsPerPeer: 10, maxBufferedFrameBytes: 1 << 20), logger: .init(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(1_000_000))
        _ = try? channel.writeInbound(prefix)
        var out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        out.moveReaderIndex(forwardBy: 4)
        let headerLength = out.readInteger(as: UInt32.self)!
        let header = try RpcV1.ResponseHeader(serializedBytes: Array(out.readBytes(length: Int(headerLength))!))
        #expect(header.callId == 0)
        #expect(header.status?.code == .resourceExhausted)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
