#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CProtobufC

/// The memory of the C structs built to encode one message: a bump allocator over malloc'd
/// chunks, all freed at once when the arena goes away (right after `protobuf_c_message_pack`).
final class CArena {
    /// Most messages fit the first chunk; later chunks double, up to the largest size.
    private static let firstChunkSize = 1024
    private static let largestChunkSize = 32 * 1024
    private static let alignment = 16

    private var chunks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer? = nil
    private var remaining = 0
    private var nextChunkSize = CArena.firstChunkSize

    init() {}

    deinit {
        for chunk in chunks { free(chunk) }
    }

    /// Zeroed memory for `bytes` bytes, aligned for any C type.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = (max(bytes, 1) + Self.alignment - 1) & ~(Self.alignment - 1)
        if size > Self.largestChunkSize / 4 {
            // Large blocks get a chunk of their own so the current chunk is not wasted.
            guard let block = calloc(1, size) else { fatalError("out of memory encoding a message") }
            chunks.append(block)
            return block
        }
        if size > remaining {
            let chunkSize = max(nextChunkSize, size)
            guard let chunk = calloc(1, chunkSize) else { fatalError("out of memory encoding a message") }
            chunks.append(chunk)
            cursor = chunk
            remaining = chunkSize
            nextChunkSize = min(nextChunkSize * 2, Self.largestChunkSize)
        }
        let block = cursor!
        cursor = block + size
        remaining -= size
        return block
    }

    func message<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        allocate(bytes: MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
    }

    /// A C copy of `value`, or an error when it contains NUL (protobuf-c would cut it there).
    ///
    /// The empty string is a shared "" that is *not* `protobuf_c_empty_string`: protobuf-c skips
    /// a oneof string member that points at its own empty string, so a set-but-empty oneof would
    /// silently vanish.
    func string(_ value: String, field: String) throws(WireError) -> UnsafeMutablePointer<CChar> {
        if value.isEmpty { return CArena.emptyString }
        var copy = value
        let p: UnsafeMutablePointer<CChar>? = copy.withUTF8 { utf8 in
            if memchr(utf8.baseAddress!, 0, utf8.count) != nil { return nil }
            let p = allocate(bytes: utf8.count + 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
            UnsafeMutableRawPointer(p).copyMemory(from: utf8.baseAddress!, byteCount: utf8.count)
            p[utf8.count] = 0
            return p
        }
        guard let p else { throw WireError(.containsNUL, field: field) }
        return p
    }

    /// A C copy of `value`. The data pointer is never NULL, so an empty oneof bytes member is packed.
    func bytes(_ value: [UInt8]) -> ProtobufCBinaryData {
        let p = allocate(bytes: value.count).bindMemory(to: UInt8.self, capacity: max(value.count, 1))
        value.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(p), byteCount: $0.count) }
        return ProtobufCBinaryData(len: value.count, data: p)
    }

    /// A C array holding `values` as they are (same memory layout), or nil when empty.
    func copy<T: BitwiseCopyable>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(bytes: values.count * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: values.count)
        values.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: $0.count) }
        return p
    }

    /// A C array of `transform` applied to each value, or nil when empty.
    func map<T, C, E: Error>(_ values: [T], _ transform: (T) throws(E) -> C) throws(E) -> UnsafeMutablePointer<C>? {
        guard !values.isEmpty else { return nil }
        let p = allocate(bytes: values.count * MemoryLayout<C>.stride).bindMemory(to: C.self, capacity: values.count)
        for (i, v) in values.enumerated() { (p + i).initialize(to: try transform(v)) }
        return p
    }

    private nonisolated(unsafe) static let emptyString: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
}
