import CRMDomain
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Directory rules and password hashing", .timeLimit(.minutes(3)))
struct DirectoryRulesTests {
    @Test("e-mail syntax")
    func emails() {
        let longest = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + ".example.com"
        for good in ["ana@example.com", "a.b+c@sub.example.co", "x_y@d-1.io", "ANA.Perez@Example.COM", "o'neil!#$%&*/=?^_`{|}~-@x.es",
                     "1@2.ab", longest] {
            #expect(EmailRules.isValid(good), "\(good)")
        }
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "a..b@example.com", ".a@example.com",
                    "ana@-x.com", "ana@x.c", "ana@exa mple.com", "añá@example.com", "ana@example.c0m",
                    "a.@example.com", "ana@x-.com", "ana@.example.com", "ana@example..com", "ana@example.com.", "ana@ex_ample.com",
                    "ana\r\n@example.com", "ana@exámple.com", "ana@example.çom", "a\u{0}@example.com", "an\"a@example.com",
                    String(repeating: "a", count: 65) + "@example.com", "a@" + String(repeating: "b", count: 64) + ".com",
                    String(repeating: "a", count: 64) + "@" + String(repeating: "b.", count: 95) + "com"] {
            #expect(!EmailRules.isValid(bad), "\(bad)")
        }
    }

    @Test("a user's fields are normalised, and each bad one is named")
    func users() {
        var violations = Violations()
        let user = DirectoryRules.normalised(
            UserRecord(login: "Ana.Garcia", name: "  Ana   García ", email: " ANA@Example.com ", role: .agent, unitID: 0, active: true),
            prefix: "user", into: &violations)
        #expect(violations.all.isEmpty)
        #expect(user.login == "ana.garcia")
        #expect(user.name == "Ana García")
        #expect(user.email == "ana@example.com")

        var bad = Violations()
        _ = DirectoryRules.normalised(
            UserRecord(login: "a b", name: "", email: "nope", role: .agent, unitID: -1, active: true), prefix: "user", into: &bad)
        #expect(Set(bad.all.map(\.field)) == ["user.login", "user.name", "user.email", "user.unit_id"])
    }

    @Test("passwords: salted, slow, verified in constant time; rules on length")
    func passwords() {
        let hasher = PasswordHasher(rounds: 1_000)
        let first = hasher.hash("correct horse battery")
        let second = hasher.hash("correct horse battery")
        #expect(first != second, "the salt differs")
        #expect(first.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(hasher.verify("correct horse battery", against: first))
        #expect(!hasher.verify("correct horse batterx", against: first))
        #expect(!hasher.verify("correct horse battery", against: "garbage"))
        #expect(!hasher.verify("x", against: "pbkdf2-sha256$0$AA==$AA=="))
        var violations = Violations()
        PasswordHasher.check("short", field: "password", into: &violations)
        PasswordHasher.check(String(repeating: "p", count: 201), field: "new_password", into: &violations)
        #expect(violations.all.map(\.field) == ["password", "new_password"])
    }
}
