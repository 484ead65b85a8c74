import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire

/// crm-activities assembled from the kit: its database, its handler, and the router with the
/// kit's interceptors (errors innermost, then authentication with the account check).
public final class ActivitiesServer: Sendable {
    public struct Configuration: Sendable {
        public var databasePath: String
        public var authSecret: String
        public var leads: LeadsPeer
        public var clock: WallClock
        /// How long an account check is reused: how long a deactivated user's token may still work.
        public var accountCheckLifetime: Duration

        public init(databasePath: String, authSecret: String, leads: LeadsPeer, clock: WallClock = .system, accountCheckLifetime: Duration = .seconds(3)) {
            self.accountCheckLifetime = accountCheckLifetime
            self.databasePath = databasePath
            self.authSecret = authSecret
            self.leads = leads
            self.clock = clock
        }
    }

    public let database: ServiceDatabase
    private let handler: ActivitiesHandler
    private let authentication: AuthenticationInterceptor

    public init(_ configuration: Configuration) throws {
        let signer = try TokenSigner(secret: configuration.authSecret)
        database = try ServiceDatabase(path: configuration.databasePath, label: "crm-activities", migrator: ServiceDatabase.migrator(ActivitiesSchema.register))
        handler = ActivitiesHandler(database: database, leads: configuration.leads, clock: configuration.clock)
        authentication = AuthenticationInterceptor(
            authenticator: Authenticator(signer: signer, clock: configuration.clock),
            directory: CallerDirectory(lifetime: configuration.accountCheckLifetime, lookup: configuration.leads.account))
    }

    public func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(handler)
        router.intercept(with: ErrorMappingInterceptor())
        router.intercept(with: authentication)
        return router
    }
}
