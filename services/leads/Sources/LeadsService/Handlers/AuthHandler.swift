import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire

/// Sign-in: `crm.leads.v1.Auth`.
struct AuthHandler: LeadsV1.Auth.ServiceProtocol {
    let env: Environment

    func login(request: LeadsV1.LoginRequest, context: ServerContext) async throws -> LeadsV1.LoginResponse {
        var violations = Violations()
        if request.login.isEmpty { violations.add("login", "is required") }
        if request.password.isEmpty { violations.add("password", "is required") }
        // Bytes first: a "character" can hold any number of combining marks.
        if request.login.utf8.count > 256 || request.login.count > 64 { violations.add("login", "must be at most 64 characters") }
        if request.password.utf8.count > 800 || request.password.count > 200 { violations.add("password", "must be at most 200 characters") }
        try violations.check()

        // Throttled before anything costs: a login or address with recent failures waits.
        let login = request.login.lowercased(), peer = context.peerAddress
        try env.signIn.admit(login: login, peer: peer)
        let found = try await env.database.read { db in try DirectoryStore.user(db, login: request.login) }
        let hasher = env.hasher
        // Hash even for an unknown login, so timing does not tell which logins exist.
        let stored = found?.passwordHash ?? "pbkdf2-sha256$\(hasher.rounds)$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        let matches = try await env.signIn.hash(peer: peer) { hasher.verify(request.password, against: stored) }
        guard let (user, _) = found, matches, user.active else {
            env.signIn.failed(login: login, peer: peer)
            throw DomainError.unauthenticated("wrong login or password, or the user is deactivated")
        }
        env.signIn.succeeded(login: login)
        let now = env.clock.millis()
        let expires = now + env.tokenLifetime.milliseconds
        let token = env.authenticator.signer.sign(TokenSigner.Claims(caller: user.caller, issuedAt: now, expiresAt: expires))
        return LeadsV1.LoginResponse(token: token, expiresAt: expires, user: user.wire)
    }

    func whoAmI(request: LeadsV1.WhoAmIRequest, context: ServerContext) async throws -> LeadsV1.User {
        let caller = try context.caller()
        guard let user = try await env.database.read({ db in try DirectoryStore.user(db, id: caller.userID) }), user.active else {
            throw DomainError.unauthenticated("the token's user no longer exists or is deactivated")
        }
        return user.wire
    }

    func changePassword(request: LeadsV1.ChangePasswordRequest, context: ServerContext) async throws -> LeadsV1.ChangePasswordResponse {
        let caller = try context.caller()
        var violations = Violations()
        if request.currentPassword.isEmpty { violations.add("current_password", "is required") }
        PasswordHasher.check(request.newPassword, field: "new_password", into: &violations)
        try violations.check()
        let hasher = env.hasher
        guard let stored = try await env.database.read({ db in try DirectoryStore.passwordHash(db, userID: caller.userID) }) else {
            throw DomainError.unauthenticated("the token's user no longer exists")
        }
        let (matches, newHash) = try await env.signIn.hash {
            (hasher.verify(request.currentPassword, against: stored), hasher.hash(request.newPassword))
        }
        guard matches else { throw DomainError.invalid([Violation("current_password", "is not the current password")]) }
        let now = env.clock.millis()
        try await env.database.write { db in try DirectoryStore.setPasswordHash(db, userID: caller.userID, hash: newHash, now: now) }
        return LeadsV1.ChangePasswordResponse()
    }
}
