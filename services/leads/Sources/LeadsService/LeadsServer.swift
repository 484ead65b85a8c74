import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Logging

/// The leads service assembled: its store, its handlers, and the router a server hosts.
public final class LeadsServer: Sendable {
    public struct Configuration: Sendable {
        /// The SQLite file.
        public var databasePath: String
        /// The token signing secret shared with the other services (at least 32 characters).
        public var authSecret: String
        /// How long a token from Login is accepted.
        public var tokenLifetime: Duration
        /// PBKDF2 rounds for new password hashes.
        public var passwordRounds: Int
        /// The clock (injected by tests).
        public var clock: WallClock
        /// Asks crm-activities whether a lead has open work before it is won, lost or cancelled.
        public var openWork: OpenWorkCheck
        /// How sign-in holds up under floods of wrong passwords.
        public var signIn: SignInGuard.Policy = SignInGuard.Policy()
        /// Web form submissions one address may make per minute (all at once, or spread).
        public var formSubmissionsPerMinute = 5

        public init(databasePath: String, authSecret: String, tokenLifetime: Duration = .seconds(12 * 3600), passwordRounds: Int = PasswordHasher.defaultRounds, clock: WallClock = .system, openWork: OpenWorkCheck = .unconfigured) {
            self.openWork = openWork
            self.databasePath = databasePath
            self.authSecret = authSecret
            self.tokenLifetime = tokenLifetime
            self.passwordRounds = passwordRounds
            self.clock = clock
        }
    }

    public let database: LeadsDatabase
    let env: Environment
    let openWork: OpenWorkCheck
    /// The web forms' spam checks: one per process, so the per-address budget is the process's.
    let formGuard: FormGuard

    public init(_ configuration: Configuration) throws {
        let signer = try TokenSigner(secret: configuration.authSecret)
        database = try LeadsDatabase(path: configuration.databasePath)
        openWork = configuration.openWork
        var formPolicy = FormGuard.Policy()
        formPolicy.burst = max(configuration.formSubmissionsPerMinute, 1)
        formPolicy.refillMillis = 60_000 / Int64(formPolicy.burst)
        formGuard = FormGuard(secret: configuration.authSecret, clock: configuration.clock, policy: formPolicy)
        env = Environment(
            database: database,
            authenticator: Authenticator(signer: signer, clock: configuration.clock),
            accounts: CallerDirectory(lookup: Environment.accountLookup(database)),
            hasher: PasswordHasher(rounds: configuration.passwordRounds),
            signIn: SignInGuard(policy: configuration.signIn),
            clock: configuration.clock,
            tokenLifetime: configuration.tokenLifetime)
    }

    /// Whether the database has no user yet (a first admin must then be given).
    public func needsFirstAdmin() async throws -> Bool {
        try await database.read { db in try DirectoryStore.userCount(db) == 0 }
    }

    /// Creates the first admin on an empty database; does nothing once any user exists.
    /// Returns whether it created one.
    @discardableResult
    public func bootstrapAdmin(login: String, password: String) async throws(DomainError) -> Bool {
        var violations = Violations()
        let admin = DirectoryRules.normalised(
            UserRecord(login: login, name: "Administrator", email: "\(login.lowercased())@localhost.localdomain", role: .admin, unitID: 0, active: true),
            prefix: "admin", into: &violations)
        PasswordHasher.check(password, field: "admin password", into: &violations)
        try violations.check()
        let hasher = env.hasher
        let now = env.clock.millis()
        do {
            let hash = try await env.signIn.hash { hasher.hash(password) }
            return try await database.write { db in
                guard try DirectoryStore.userCount(db) == 0 else { return false }
                let saved = try DirectoryStore.insert(db, user: admin, passwordHash: hash, now: now)
                try appendEvent(db, .userChanged(saved, actor: 0, at: now))
                return true
            }
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError.failedPrecondition("the first admin could not be created: \(error)")
        }
    }

    /// The web forms' HTTP listener on `host:port` (0 for any free port), to run beside the RPC server.
    /// `trustedProxies` are the addresses whose X-Forwarded-For names the visitor (the site's
    /// TLS proxy), for the per-address budget.
    public func formsServer(host: String, port: Int, trustedProxies: Set<String> = [], logger: Logger) -> FormsHTTPServer {
        FormsHTTPServer(endpoint: FormsEndpoint(leads: LeadsHandler(env: env, openWork: openWork), guardrails: formGuard, logger: logger),
                        host: host, port: port, trustedProxies: trustedProxies, logger: logger)
    }

    /// The routes of every service crm-leads hosts.
    public func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(AuthHandler(env: env))
        router.register(DirectoryHandler(env: env))
        router.register(LeadConfigHandler(env: env))
        router.register(LeadsHandler(env: env, openWork: openWork))
        router.register(FormsHandler(env: env))
        router.intercept(with: ErrorMappingInterceptor())
        // Login is the one method without a token; every other call's account is checked too.
        router.intercept(with: AuthenticationInterceptor(
            authenticator: env.authenticator, publicMethods: [LeadsV1.Auth.Method.login.path], directory: env.accounts))
        return router
    }
}
