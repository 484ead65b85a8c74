/// Writes protobuf wire format into a byte array: the counterpart of `WireReader`, for code that
/// encodes by descriptor rather than through protobuf-c's structs (ProtoJSON).
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func writeTag(_ field: UInt32, _ type: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    public mutating func writeFixed32(_ value: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    public mutating func writeFixed64(_ value: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// A length-delimited value: its length, then the bytes.
    public mutating func writeLengthDelimited<C: Collection>(_ value: C) where C.Element == UInt8 {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}

/// ZigZag encoding of sint32 and sint64, which keeps small negative numbers short.
public enum ZigZag {
    public static func encode(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    public static func decode(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}
