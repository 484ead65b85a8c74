/// Reads protobuf wire format from borrowed bytes without copying.
///
/// The reader never reads outside `bytes`; every malformed input (a truncated varint, a
/// length past the end, a field number of 0, a group) is a `WireFormatError`.
public struct WireReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    private func fail(_ reason: String) -> WireFormatError {
        WireFormatError(offset: offset, reason: reason)
    }

    public mutating func readVarint() throws(WireFormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw fail("truncated varint") }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte may only contribute the top bit of a 64-bit value.
            if shift == 63 && byte > 1 { throw fail("varint longer than 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a tag; the field number is between 1 and 2^29 - 1.
    public mutating func readTag() throws(WireFormatError) -> (field: UInt32, type: WireType) {
        let start = offset
        let raw = try readVarint()
        guard raw <= UInt64(UInt32.max) else {
            offset = start
            throw fail("tag out of range")
        }
        guard let type = WireType(rawValue: UInt8(raw & 7)) else {
            offset = start
            throw fail("unknown wire type \(raw & 7)")
        }
        let field = UInt32(raw >> 3)
        guard field != 0 else {
            offset = start
            throw fail("field number 0")
        }
        return (field, type)
    }

    public mutating func readFixed32() throws(WireFormatError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw fail("truncated fixed32") }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return value
    }

    public mutating func readFixed64() throws(WireFormatError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw fail("truncated fixed64") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    /// Reads a length-delimited field's bytes: a slice of the same memory.
    public mutating func readLengthDelimited() throws(WireFormatError) -> UnsafeRawBufferPointer {
        let length = try readVarint()
        guard length <= UInt64(bytes.count - offset) else { throw fail("length past the end") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        return slice
    }

    /// Skips one field's value. Groups are refused: proto3 has none and protobuf-c rejects them.
    public mutating func skip(_ type: WireType) throws(WireFormatError) {
        switch type {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup: throw fail("groups are not supported")
        }
    }
}
