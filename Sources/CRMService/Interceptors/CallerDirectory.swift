import CRMDomain
import CRMRPC
import Synchronization

/// Where a caller's account is checked after the token's signature: whether the user still
/// exists and is active, and their role and unit now (a token's claims are a snapshot from
/// sign-in). Answers are kept for `lifetime`, which bounds how long a deactivated user's token
/// keeps working.
public final class CallerDirectory: Sendable {
    /// The account now: the caller with their current role and unit, or nil when the user is
    /// gone or inactive.
    public typealias Lookup = @Sendable (_ claimed: Caller, _ context: ServerContext) async throws -> Caller?

    private let lookup: Lookup
    private let lifetime: Duration
    private let cache = Mutex<[Int64: (caller: Caller?, at: ContinuousClock.Instant)]>([:])

    public init(lifetime: Duration = .seconds(3), lookup: @escaping Lookup) {
        self.lifetime = lifetime
        self.lookup = lookup
    }

    /// The caller as their account stands, or UNAUTHENTICATED when it is inactive or gone.
    public func current(_ claimed: Caller, context: ServerContext) async throws -> Caller {
        // Services sign their own tokens for each other; they have no user row.
        if claimed.role == .service { return claimed }
        let now = ContinuousClock.now
        let cached = cache.withLock { entries -> Caller?? in
            guard let entry = entries[claimed.userID], now - entry.at < lifetime else { return nil }
            return .some(entry.caller)
        }
        let account: Caller?
        if let cached {
            account = cached
        } else {
            account = try await lookup(claimed, context)
            cache.withLock { entries in
                if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
                entries[claimed.userID] = (account, now)
            }
        }
        guard let account else {
            throw RPCError(.unauthenticated, "this account is deactivated or no longer exists")
        }
        return account
    }

    /// Forgets what is known of `userID` (after a change to that user in this process).
    public func forget(_ userID: Int64) {
        _ = cache.withLock { $0.removeValue(forKey: userID) }
    }
}
