import CRMDomain
import Crypto
import Foundation
import Synchronization

/// What keeps bots and floods from creating leads through a web form: the hosted page's signed
/// time (a submission sooner than the form's minimum fill time, or without a token the form
/// needs, is refused), and a budget of submissions per address.
final class FormGuard: Sendable {
    struct Policy: Sendable {
        /// Submissions one address may make at once, and how soon one more is allowed.
        var burst = 5
        var refillMillis: Int64 = 12_000
        /// How long a page's token is good for.
        var tokenLifetimeMillis: Int64 = 24 * 3_600_000
        /// Addresses remembered (the oldest go first past it).
        var maxAddresses = 10_000

        init() {}
    }

    enum TokenCheck: Equatable {
        case ok
        /// Sent sooner than the minimum fill time after the page was served.
        case tooFast
        /// Missing, forged, or too old.
        case invalid
    }

    /// The HMAC key's bytes (a `SymmetricKey` is not `Sendable`).
    private let key: [UInt8]
    private let clock: WallClock
    let policy: Policy
    private struct Bucket { var tokens: Double; var at: Int64 }
    private let buckets = Mutex<[String: Bucket]>([:])

    /// `secret` is the service's auth secret; the token key is derived from it, so a token is
    /// worth nothing elsewhere.
    init(secret: String, clock: WallClock, policy: Policy = Policy()) {
        key = Array(SHA256.hash(data: Data("crm-leads web form token\u{0}\(secret)".utf8)))
        self.clock = clock
        self.policy = policy
    }

    /// The hidden token a page of `form` carries: when it was served, signed.
    func token(for publicID: String) -> String {
        let issued = clock.millis()
        return "\(issued).\(signature(publicID, issued))"
    }

    func check(_ token: String, for publicID: String, minFillSeconds: Int32) -> TokenCheck {
        guard minFillSeconds > 0 else { return .ok }
        let parts = token.split(separator: ".")
        guard parts.count == 2, let issued = Int64(parts[0]), parts[1] == signature(publicID, issued) else { return .invalid }
        let age = clock.millis() - issued
        if age > policy.tokenLifetimeMillis || age < -60_000 { return .invalid }
        return age < Int64(minFillSeconds) * 1000 ? .tooFast : .ok
    }

    private func signature(_ publicID: String, _ issued: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(publicID)\u{0}\(issued)".utf8), using: SymmetricKey(data: key))
        return Data(mac).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Takes one submission from `address`'s budget; false when it has none left, with the
    /// seconds until it has.
    func admit(_ address: String) -> (admitted: Bool, retryAfter: Int) {
        let now = clock.millis()
        let policy = self.policy
        return buckets.withLock { buckets in
            var bucket = buckets[address] ?? Bucket(tokens: Double(policy.burst), at: now)
            bucket.tokens = min(Double(policy.burst), bucket.tokens + Double(now - bucket.at) / Double(policy.refillMillis))
            bucket.at = now
            defer {
                buckets[address] = bucket
                if buckets.count > policy.maxAddresses {
                    // Forget the quietest half: a full bucket is what a forgotten address starts with anyway.
                    let keep = buckets.sorted { $0.value.at > $1.value.at }.prefix(policy.maxAddresses / 2)
                    buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
                }
            }
            guard bucket.tokens >= 1 else {
                return (false, Int(((1 - bucket.tokens) * Double(policy.refillMillis) / 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            return (true, 0)
        }
    }
}
