import CRMRPC
import NIOConcurrencyHelpers
import NIOPosix

/// Keeps sign-in working while it is attacked. Password hashing is slow on purpose, so a flood
/// of wrong passwords is a flood of CPU: the hashes run on threads of their own (never behind
/// an import on the shared blocking pool), a few at a time, with a short queue past which a
/// sign-in is refused at once; and failed sign-ins are throttled per login and per peer
/// address with delays that double, so guessing stops costing the server anything.
public final class SignInGuard: Sendable {
    public struct Policy: Sendable {
        /// Hashes running at once (their own threads).
        public var hashing: Int
        /// Sign-ins waiting for a hashing thread; one more is RESOURCE_EXHAUSTED.
        public var waiting: Int
        /// Sign-ins from one address hashing or waiting at once: a flood from one address cannot
        /// take the queue from everyone else.
        public var perPeer: Int
        /// Failures of one login allowed before the delays start.
        public var freeFailuresPerLogin: Int
        /// Failures from one address allowed before the delays start (an office shares one).
        public var freeFailuresPerPeer: Int
        /// The first delay; each further failure doubles it, up to `longestDelay`.
        public var firstDelay: Duration
        public var longestDelay: Duration
        /// Logins and addresses remembered; the oldest are forgotten past it.
        public var remembered: Int

        public init(
            hashing: Int = 2, waiting: Int = 16, perPeer: Int = 4, freeFailuresPerLogin: Int = 5, freeFailuresPerPeer: Int = 20,
            firstDelay: Duration = .seconds(1), longestDelay: Duration = .seconds(900), remembered: Int = 100_000
        ) {
            self.hashing = hashing
            self.waiting = waiting
            self.perPeer = perPeer
            self.freeFailuresPerLogin = freeFailuresPerLogin
            self.freeFailuresPerPeer = freeFailuresPerPeer
            self.firstDelay = firstDelay
            self.longestDelay = longestDelay
            self.remembered = remembered
        }
    }

    private struct Failures {
        var count: Int
        var last: ContinuousClock.Instant
    }

    private struct State {
        var failures: [String: Failures] = [:]
        var queued = 0
        var queuedByPeer: [String: Int] = [:]
    }

    public let policy: Policy
    private let state = NIOLockedValueBox(State())
    private let pool: NIOThreadPool

    public init(policy: Policy = Policy()) {
        self.policy = policy
        pool = NIOThreadPool(numberOfThreads: max(1, policy.hashing))
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Refuses a sign-in that comes too soon after failures of its login or address, saying
    /// when to try again; costs nothing (no hash).
    public func admit(login: String, peer: String, now: ContinuousClock.Instant = .now) throws(RPCError) {
        let wait = state.withLockedValue { state in
            max(Self.wait(state.failures["login:" + login], free: policy.freeFailuresPerLogin, policy, now),
                Self.wait(state.failures["peer:" + peer], free: policy.freeFailuresPerPeer, policy, now))
        }
        guard wait <= .zero else {
            let seconds = Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up))
            throw RPCError(.resourceExhausted, "too many failed sign-ins for this login or from this address; try again in \(seconds) s")
        }
    }

    /// Runs a password hash on the guard's own threads, or refuses at once when too many wait
    /// (in all, or from `peer`).
    public func hash<T: Sendable>(peer: String = "", _ work: @escaping @Sendable () -> T) async throws -> T {
        let refusal = state.withLockedValue { state -> String? in
            guard state.queued < policy.hashing + policy.waiting else { return "sign-in is busy; try again in a moment" }
            guard state.queuedByPeer[peer, default: 0] < policy.perPeer else { return "too many sign-ins at once from this address; try again in a moment" }
            state.queued += 1
            state.queuedByPeer[peer, default: 0] += 1
            return nil
        }
        if let refusal { throw RPCError(.resourceExhausted, refusal) }
        defer {
            state.withLockedValue { state in
                state.queued -= 1
                let left = state.queuedByPeer[peer, default: 1] - 1
                state.queuedByPeer[peer] = left > 0 ? left : nil
            }
        }
        return try await pool.runIfActive(work)
    }

    /// Counts a failed sign-in against its login and its address.
    public func failed(login: String, peer: String, now: ContinuousClock.Instant = .now) {
        state.withLockedValue { state in
            for key in ["login:" + login, "peer:" + peer] {
                var entry = state.failures[key] ?? Failures(count: 0, last: now)
                // Failures long past the longest delay are forgiven.
                if now - entry.last > policy.longestDelay * 2 { entry.count = 0 }
                entry.count += 1
                entry.last = now
                state.failures[key] = entry
            }
            if state.failures.count > policy.remembered {
                let cutoff = state.failures.values.map(\.last).sorted()[state.failures.count / 2]
                state.failures = state.failures.filter { $0.value.last >= cutoff }
            }
        }
    }

    /// A successful sign-in forgets its login's failures (its address's stay: others may guess
    /// from it).
    public func succeeded(login: String) {
        _ = state.withLockedValue { $0.failures.removeValue(forKey: "login:" + login) }
    }

    /// How long from `now` until another attempt is allowed.
    private static func wait(_ entry: Failures?, free: Int, _ policy: Policy, _ now: ContinuousClock.Instant) -> Duration {
        guard let entry, entry.count >= free else { return .zero }
        let doublings = min(entry.count - free, 20)
        let delay = min(policy.firstDelay * (1 << doublings), policy.longestDelay)
        return entry.last + delay - now
    }
}
