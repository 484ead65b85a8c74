import CRMRPC
import CRMService
import Synchronization
import Foundation
import Testing

/// Sign-in under a flood of wrong passwords (issue 18 item 7).
@Suite("the kit's sign-in guard", .timeLimit(.minutes(1)))
struct SignInGuardTests {
    @Test("past the free failures of a login, each attempt waits a delay that doubles; a success forgets the login's failures")
    func perLogin() throws {
        let guardian = SignInGuard(policy: .init(freeFailuresPerLogin: 3, freeFailuresPerPeer: 100, firstDelay: .seconds(1)))
        let start = ContinuousClock.now
        for i in 0..<3 {
            try guardian.admit(login: "ana", peer: "10.0.0.1", now: start + .seconds(i))
            guardian.failed(login: "ana", peer: "10.0.0.1", now: start + .seconds(i))
        }
        let refused = #expect(throws: RPCError.self) { try guardian.admit(login: "ana", peer: "10.0.0.2", now: start + .milliseconds(2_500)) }
        #expect(refused?.code == .resourceExhausted && refused?.message.contains("try again in 1 s") == true)
        try guardian.admit(login: "luis", peer: "10.0.0.1", now: start + .milliseconds(2_500))  // another login is not held up
        try guardian.admit(login: "ana", peer: "10.0.0.1", now: start + .seconds(3))
        guardian.failed(login: "ana", peer: "10.0.0.1", now: start + .seconds(3))
        // The fourth failure doubles the delay.
        #expect(throws: RPCError.self) { try guardian.admit(login: "ana", peer: "10.0.0.1", now: start + .milliseconds(4_900)) }
        try guardian.admit(login: "ana", peer: "10.0.0.1", now: start + .seconds(5))
        guardian.succeeded(login: "ana")
        try guardian.admit(login: "ana", peer: "10.0.0.1", now: start + .seconds(5))
    }

    @Test("failures from one address hold up every login from it, not other addresses")
    func perPeer() throws {
        let guardian = SignInGuard(policy: .init(freeFailuresPerLogin: 100, freeFailuresPerPeer: 5))
        let now = ContinuousClock.now
        for i in 0..<5 { guardian.failed(login: "guess\(i)", peer: "10.0.0.9", now: now) }
        #expect(throws: RPCError.self) { try guardian.admit(login: "someone", peer: "10.0.0.9", now: now) }
        try guardian.admit(login: "someone", peer: "10.0.0.10", now: now)
    }

    @Test("hashes run a few at a time with a short queue; past it a sign-in is refused at once")
    func boundedHashing() async throws {
        let guardian = SignInGuard(policy: .init(hashing: 1, waiting: 1))
        let gate = Gate()
        let blocked: @Sendable () -> Int = {
            while !gate.open.withLock({ $0 }) { usleep(1_000) }
            return 1
        }
        async let first = guardian.hash(blocked)
        async let second = guardian.hash(blocked)
        try await Task.sleep(for: .milliseconds(100))
        let busy = await #expect(throws: RPCError.self) { try await guardian.hash { 3 } }
        #expect(busy?.code == .resourceExhausted)
        gate.open.withLock { $0 = true }
        let both = try await first + second
        #expect(both == 2)
        #expect(try await guardian.hash { 3 } == 3)
    }

    @Test("one address holds at most its share of the queue; another address still gets in")
    func perPeerShare() async throws {
        let guardian = SignInGuard(policy: .init(hashing: 1, waiting: 10, perPeer: 1))
        let gate = Gate()
        let blocked: @Sendable () -> Int = {
            while !gate.open.withLock({ $0 }) { usleep(1_000) }
            return 1
        }
        async let flood = guardian.hash(peer: "10.0.0.66", blocked)
        try await Task.sleep(for: .milliseconds(50))
        let refused = await #expect(throws: RPCError.self) { try await guardian.hash(peer: "10.0.0.66") { 2 } }
        #expect(refused?.message.contains("from this address") == true)
        async let honest = guardian.hash(peer: "10.0.0.1") { 5 }
        gate.open.withLock { $0 = true }
        let results = try await (flood, honest)
        #expect(results.0 == 1 && results.1 == 5)
    }
}

final class Gate: Sendable {
    let open = Mutex(false)
}
