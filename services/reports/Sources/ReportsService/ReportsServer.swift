import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import Logging
import ServiceLifecycle

/// crm-reports assembled from the kit: its read model, its handler behind the kit's
/// interceptors, and a follower per source feed.
public final class ReportsServer: Sendable {
    public struct Configuration: Sendable {
        public var databasePath: String
        public var authSecret: String
        /// crm-leads: its feed, and the accounts behind callers' tokens; nil follows nothing.
        public var leads: RPCClient?
        /// crm-activities: its feed; nil follows nothing.
        public var activities: RPCClient?
        /// Empty the read model first, so that it is built again from the feeds.
        public var rebuild: Bool
        public var clock: WallClock
        /// How callers' accounts are checked; nil asks crm-leads (tests play it).
        public var accounts: CallerDirectory.Lookup?

        public init(databasePath: String, authSecret: String, leads: RPCClient?, activities: RPCClient?, rebuild: Bool = false, clock: WallClock = .system,
                    accounts: CallerDirectory.Lookup? = nil) {
            self.accounts = accounts
            self.databasePath = databasePath
            self.authSecret = authSecret
            self.leads = leads
            self.activities = activities
            self.rebuild = rebuild
            self.clock = clock
        }
    }

    public let database: ServiceDatabase
    private let handler: ReportsHandler
    private let authentication: AuthenticationInterceptor
    private let followers: [any Service]

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "crm-reports")) throws {
        let signer = try TokenSigner(secret: configuration.authSecret)
        database = try ServiceDatabase(path: configuration.databasePath, label: "crm-reports", prepare: ServiceDatabase.largeStore, migrator: ServiceDatabase.migrator(ReportsSchema.register))
        if configuration.rebuild {
            try database.pool.write { db in try ReportsSchema.clear(db) }
            logger.notice("read model emptied: rebuilding it from the feeds")
        }
        handler = ReportsHandler(database: database, clock: configuration.clock)
        let token = Self.serviceToken(signer, clock: configuration.clock)
        let unconfigured: CallerDirectory.Lookup = { @Sendable _, _ in
            throw RPCError(.unavailable, "no crm-leads is configured (peer.leads): accounts cannot be checked")
        }
        let remote = configuration.leads.map { LeadsAccounts.lookup($0) } ?? unconfigured
        let database = self.database
        // Accounts as the leads feed says (users are in it): a deactivation or a role change arrives
        // within a feed event, and the reports keep answering while crm-leads is down. A user the
        // feed has not mentioned yet is asked of crm-leads.
        let local: CallerDirectory.Lookup = { @Sendable claimed, context in
            if let known = try await database.read({ db in try NameStore.account(db, userID: claimed.userID) }) { return known.active ? known.caller : nil }
            return try await remote(claimed, context)
        }
        let directory = CallerDirectory(lookup: configuration.accounts ?? local)
        authentication = AuthenticationInterceptor(authenticator: Authenticator(signer: signer, clock: configuration.clock), directory: directory)
        let store = ReadModelStore(database: database, clock: configuration.clock, statistics: StatisticsSchedule())
        var followers: [any Service] = []
        if let leads = configuration.leads {
            followers.append(FeedFollower(feed: LeadsFeed(connection: leads, store: store), token: token, logger: logger))
        }
        if let activities = configuration.activities {
            followers.append(FeedFollower(feed: ActivitiesFeed(connection: activities, store: store), token: token, logger: logger))
        }
        self.followers = followers
    }

    public func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(handler)
        router.intercept(with: ErrorMappingInterceptor())
        router.intercept(with: authentication)
        return router
    }

    /// What runs beside the server: the feed followers.
    public var background: [any Service] { followers }

    /// Applies crm-leads events as the follower would (tests call this instead of running crm-leads).
    public func apply(leadEvents events: [LeadsV1.LeadEvent], configuration: LeadsV1.Configuration? = nil, now: Int64 = WallClock.system.millis()) async throws {
        try await database.writeBatch { db in
            if let configuration { try NameStore.putConfiguration(db, configuration) }
            try ReadModel.applyLeads(db, events, head: events.last?.sequence ?? 0, configuration: configuration, now: now)
        }
    }

    /// Applies crm-activities events as the follower would.
    public func apply(activityEvents events: [ActivitiesV1.ActivityEvent], workTypes: [ActivitiesV1.WorkType] = [], now: Int64 = WallClock.system.millis()) async throws {
        try await database.writeBatch { db in
            try NameStore.putWorkTypes(db, workTypes)
            try ReadModel.applyActivities(db, events, head: events.last?.sequence ?? 0, now: now)
        }
    }

    /// Refreshes the query planner's statistics, as the followers do every 50,000 rows.
    public func refreshStatistics() async throws {
        try await database.writeBatch { db in try ReadModel.refreshStatistics(db) }
    }

    /// A token crm-reports signs for its own calls to the sources.
    static func serviceToken(_ signer: TokenSigner, clock: WallClock) -> @Sendable () -> String {
        {
            let now = clock.millis()
            return signer.sign(TokenSigner.Claims(caller: Caller(userID: 0, role: .service, unitID: 0), issuedAt: now, expiresAt: now + 300_000))
        }
    }
}
