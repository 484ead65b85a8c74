import _CryptoExtras
import Crypto
import CRMDomain
import Foundation

/// Salted, slow password hashes (PBKDF2-HMAC-SHA256). The stored form names its algorithm and
/// cost, `pbkdf2-sha256$<rounds>$<salt>$<hash>`, so the cost can rise without breaking old hashes.
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let defaultRounds = 600_000

    public let rounds: Int

    public init(rounds: Int = PasswordHasher.defaultRounds) {
        self.rounds = rounds
    }

    /// Password rules: 10 to 200 characters.
    public static func check(_ password: String, field: String, into violations: inout Violations) {
        // Bytes first: a "character" can hold any number of combining marks.
        let count = password.utf8.count > 800 ? 201 : password.count
        if count < 10 { violations.add(field, "must be at least 10 characters") }
        if count > 200 { violations.add(field, "must be at most 200 characters") }
    }

    public func hash(_ password: String) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        let derived = derive(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// Whether `password` matches `stored`, in time independent of where they differ.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let storedRounds = Int(parts[1]), storedRounds > 0,
              let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let actual = derive(password, salt: [UInt8](salt), rounds: storedRounds)
        guard actual.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(actual, expected) { difference |= a ^ b }
        return difference == 0
    }

    private func derive(_ password: String, salt: [UInt8], rounds: Int) -> Data {
        // Rounds below the library's floor are only used by tests, to keep them fast.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Data($0) }
    }
}
