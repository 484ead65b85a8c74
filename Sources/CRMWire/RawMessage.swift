/// Any bytes as a message: what a client that knows a method only by name sends and receives
/// (`crm call`, with ProtoJSON), and how tests send garbage.
public struct RawMessage: WireMessage {
    public static let protoMessageName = "crm.wire.Raw"

    public var bytes: [UInt8] = []

    public init() {}

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(serializedBytes bytes: UnsafeRawBufferPointer, limits: DecodeLimits) throws(WireError) {
        self.bytes = Array(bytes)
    }

    public func serialize<Sink: WireSink>(into sink: inout Sink) throws(WireError) {
        sink.append(count: bytes.count) { buffer in buffer.copyBytes(from: bytes) }
    }
}
