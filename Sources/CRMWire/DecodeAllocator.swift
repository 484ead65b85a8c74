#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CProtobufC
import Synchronization

/// The allocator handed to `protobuf_c_message_unpack`: malloc with a byte budget, counting the
/// blocks it hands out so that every path can be checked to give them all back.
enum DecodeAllocator {
    struct State {
        var remaining: Int
        var live: Int
        var exhausted: Bool
    }

    struct Handle {
        let pointer: UnsafeMutablePointer<ProtobufCAllocator>
        let state: UnsafeMutablePointer<State>
        var exhausted: Bool { state.pointee.exhausted }
    }

    /// Blocks protobuf-c allocated and never freed, over the life of the process. Tests assert it
    /// stays 0; a non-zero value means a decode path leaked C memory.
    package static let leakedBlocks = Atomic<Int>(0)

    static func withAllocator<R>(budget: Int, _ body: (Handle) throws(WireError) -> R) throws(WireError) -> R {
        var state = State(remaining: budget, live: 0, exhausted: false)
        return try withUnsafeMutablePointer(to: &state) { (statePointer) throws(WireError) -> R in
            var allocator = ProtobufCAllocator(alloc: budgetedAlloc, free: countedFree, allocator_data: statePointer)
            defer {
                if statePointer.pointee.live != 0 {
                    leakedBlocks.add(statePointer.pointee.live, ordering: .relaxed)
                }
            }
            return try withUnsafeMutablePointer(to: &allocator) { (allocatorPointer) throws(WireError) -> R in
                try body(Handle(pointer: allocatorPointer, state: statePointer))
            }
        }
    }
}

private func budgetedAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    let state = data!.assumingMemoryBound(to: DecodeAllocator.State.self)
    guard size <= state.pointee.remaining else {
        state.pointee.exhausted = true
        return nil
    }
    guard let block = malloc(max(size, 1)) else { return nil }
    state.pointee.remaining -= size
    state.pointee.live += 1
    return block
}

private func countedFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {
    guard let pointer else { return }
    data!.assumingMemoryBound(to: DecodeAllocator.State.self).pointee.live -= 1
    free(pointer)
}
