#if canImport(Glibc)
import Glibc
#endif
import CRMRPC
import CRMWire
import Foundation

/// Runs blocking socket work on a thread of its own: blocking a thread of Swift's small
/// cooperative pool would starve the very server the test talks to.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Set once.
final class NIOLockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag; true the first time.
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if value { return false }
        value = true
        return true
    }
}

/// A blocking TCP connection that speaks the framing by hand, for sending what a well-behaved
/// client never would.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw RPCError(.unavailable, "connect failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private let closed = NIOLockedFlag()

    deinit { closeNow() }

    /// Closes the socket now (once).
    func closeNow() {
        if closed.set() { close(fd) }
    }

    /// Closes the sending side only (the client is done asking, and still reads).
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    func sendFrame(header: [UInt8], body: [UInt8]) {
        var bytes: [UInt8] = []
        for v in [UInt32(4 + header.count + body.count), UInt32(header.count)] {
            bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        send(bytes + header + body)
    }

    func sendCall(id: UInt64, method: String, body: [UInt8]) throws {
        let header = try RpcV1.RequestHeader(callId: id, kind: .open, method: method).serializedBytes()
        sendFrame(header: header, body: body)
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    /// The next frame, or nil at EOF.
    func readFrame() async throws -> (header: RpcV1.ResponseHeader, body: [UInt8])? {
        try await offPool { try self.readFrameBlocking() }
    }

    private func readFrameBlocking() throws -> (header: RpcV1.ResponseHeader, body: [UInt8])? {
        guard let prefix = readExactly(8) else { return nil }
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        let headerLength = Int(prefix[4]) << 24 | Int(prefix[5]) << 16 | Int(prefix[6]) << 8 | Int(prefix[7])
        guard let rest = readExactly(length - 4) else { return nil }
        let header = try RpcV1.ResponseHeader(serializedBytes: Array(rest[0..<headerLength]))
        return (header, Array(rest[headerLength...]))
    }

    /// True when the server has closed the connection (reads EOF).
    func isClosedByPeer() async -> Bool {
        (try? await offPool {
            var byte: UInt8 = 0
            return recv(self.fd, &byte, 1, 0) == 0
        }) ?? false
    }
}
