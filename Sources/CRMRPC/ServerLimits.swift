import NIOConcurrencyHelpers
import NIOCore

/// What a server allows all its connections together, against clients that open many
/// connections, start frames they never finish or never read their answers: connections in
/// total and per peer address, the bytes held for frames that have started and not yet
/// arrived, and the bytes of answers written and not yet read.
final class ServerAdmission: Sendable {
    private struct Counts {
        var total = 0
        var perPeer: [String: Int] = [:]
        var bufferedBytes = 0
        var unsentBytes = 0
    }

    private let counts = NIOLockedValueBox(Counts())
    let maxConnections: Int
    let maxConnectionsPerPeer: Int
    let maxBufferedFrameBytes: Int

    init(maxConnections: Int, maxConnectionsPerPeer: Int, maxBufferedFrameBytes: Int) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.maxBufferedFrameBytes = maxBufferedFrameBytes
    }

    /// Takes a connection from `peer` (an IP address), or says why it is refused.
    func admit(peer: String) -> RPCError? {
        counts.withLockedValue { counts in
            if counts.total >= maxConnections {
                return RPCError(.resourceExhausted, "the server has its limit of \(maxConnections) connections open; try again later")
            }
            if counts.perPeer[peer, default: 0] >= maxConnectionsPerPeer {
                return RPCError(.resourceExhausted, "\(peer) has its limit of \(maxConnectionsPerPeer) connections open; reuse one (calls multiplex on it)")
            }
            counts.total += 1
            counts.perPeer[peer, default: 0] += 1
            return nil
        }
    }

    func release(peer: String) {
        counts.withLockedValue { counts in
            counts.total -= 1
            let left = counts.perPeer[peer, default: 1] - 1
            counts.perPeer[peer] = left > 0 ? left : nil
        }
    }

    /// Reserves room for an incomplete frame of `bytes`; false when the server holds its limit.
    func reserveFrame(_ bytes: Int) -> Bool {
        counts.withLockedValue { counts in
            guard counts.bufferedBytes + bytes <= maxBufferedFrameBytes else { return false }
            counts.bufferedBytes += bytes
            return true
        }
    }

    func releaseFrame(_ bytes: Int) {
        counts.withLockedValue { $0.bufferedBytes -= bytes }
        MemoryTrim.released(bytes)
    }

    var bufferedFrameBytes: Int { counts.withLockedValue { $0.bufferedBytes } }

    /// Counts an answer of `bytes` written and not yet read by its client; false (and not
    /// counted) when it would pass `limit` over all connections, unless `always`.
    func reserveUnsent(_ bytes: Int, limit: Int, always: Bool) -> Bool {
        counts.withLockedValue { counts in
            guard always || counts.unsentBytes + bytes <= limit else { return false }
            counts.unsentBytes += bytes
            return true
        }
    }

    func releaseUnsent(_ bytes: Int) {
        counts.withLockedValue { $0.unsentBytes -= bytes }
        MemoryTrim.released(bytes)
    }

    var unsentBytes: Int { counts.withLockedValue { $0.unsentBytes } }
    var connections: Int { counts.withLockedValue { $0.total } }
}
