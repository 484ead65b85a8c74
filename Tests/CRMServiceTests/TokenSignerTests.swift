import CRMDomain
import Testing
@testable import CRMService

@Suite("Tokens: HMAC-SHA256 over the claims, checked locally", .timeLimit(.minutes(3)))
struct TokenSignerTests {
    let signer = try! TokenSigner(secret: String(repeating: "k", count: 32))
    let claims = TokenSigner.Claims(caller: Caller(userID: 7, role: .unitManager, unitID: 3), issuedAt: 1_000, expiresAt: 2_000)

    @Test("a token signed with the key verifies and carries its claims")
    func roundTrip() throws {
        let token = signer.sign(claims)
        #expect(token.hasPrefix("crm1."))
        #expect(try signer.verify(token, now: 1_500) == claims)
    }

    @Test("expired, tampered, foreign and malformed tokens are refused")
    func refusals() throws {
        let token = signer.sign(claims)
        #expect(throws: DomainError.unauthenticated("the token has expired; log in again")) { try signer.verify(token, now: 2_000) }
        let other = try TokenSigner(secret: String(repeating: "x", count: 32))
        #expect(throws: DomainError.self) { try other.verify(token, now: 1_500) }
        // Change one claim character: the signature no longer matches.
        var tampered = Array(token)
        tampered[8] = tampered[8] == "A" ? "B" : "A"
        #expect(throws: DomainError.self) { try signer.verify(String(tampered), now: 1_500) }
        for bad in ["", "crm1.", "crm1..", "nonsense", "crm1.abc.def", "crm1.\u{0}.x", token + "x"] {
            #expect(throws: DomainError.self, "\(bad)") { try signer.verify(bad, now: 1_500) }
        }
    }

    @Test("a short secret is a settings error")
    func shortSecret() {
        #expect(throws: SettingsError.self) { try TokenSigner(secret: "short") }
    }
}
