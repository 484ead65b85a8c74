#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CProtobufC

/// What a generated message knows about its protoc-c struct.
protocol CBridged: WireMessage {
    associatedtype CStruct
    static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }
    init(cMessage: UnsafePointer<CStruct>)
    func toCMessage(_ arena: CArena) throws(WireError) -> UnsafeMutablePointer<CStruct>
}

/// Encoding through `protobuf_c_message_pack` and decoding through `protobuf_c_message_unpack`.
enum CBridge {
    static func encode<M: CBridged, Sink: WireSink>(_ message: M, into sink: inout Sink) throws(WireError) {
        let arena = CArena()
        let c = try message.toCMessage(arena)
        let base = UnsafeRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(base)
        guard size > 0 else { return }
        sink.append(count: size) { out in
            let written = protobuf_c_message_pack(base, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            precondition(written == size, "protobuf-c packed \(written) bytes of \(size)")
        }
        withExtendedLifetime(arena) {}
    }

    static func decode<M: CBridged>(_ type: M.Type, from bytes: UnsafeRawBufferPointer, limits: DecodeLimits) throws(WireError) -> M {
        // protobuf-c checks neither UTF-8 nor NUL nor depth: the validator does, before it runs.
        try WireValidator.validate(bytes, descriptor: M.cDescriptor, maxDepth: limits.maxDepth, maxRepeated: limits.maxRepeated)
        return try DecodeAllocator.withAllocator(budget: limits.allocationBudget(forSize: bytes.count)) { (allocator) throws(WireError) -> M in
            // protobuf-c wants a non-NULL pointer even for zero bytes.
            var empty: UInt8 = 0
            let unpacked: UnsafeMutablePointer<ProtobufCMessage>? = withUnsafeMutablePointer(to: &empty) { emptyPointer in
                let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyPointer)
                return protobuf_c_message_unpack(M.cDescriptor, allocator.pointer, bytes.count, data)
            }
            guard let unpacked else {
                throw allocator.exhausted
                    ? WireError(.budgetExceeded)
                    : WireError(.malformed("protobuf-c could not unpack \(M.protoMessageName)"))
            }
            defer { protobuf_c_message_free_unpacked(unpacked, allocator.pointer) }
            return UnsafeRawPointer(unpacked).withMemoryRebound(to: M.CStruct.self, capacity: 1) { M(cMessage: $0) }
        }
    }

    // MARK: C to Swift, for generated code

    /// A Swift copy of a C string the validator has already checked (UTF-8, no NUL), so its
    /// length is exactly strlen's.
    static func string(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
    }

    static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let p = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: data.len))
    }

    static func array<T>(_ p: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard count > 0, let p else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: count))
    }

    static func array<T, S>(_ p: UnsafeMutablePointer<T>?, count: Int, _ transform: (T) -> S) -> [S] {
        guard count > 0, let p else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(transform)
    }
}
