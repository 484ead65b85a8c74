import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import CommsDomain
import Foundation
import Logging
import ServiceLifecycle

/// crm-comms assembled from the kit: its database, its handler behind the kit's interceptors,
/// and the delivery worker that empties the outbox into the Maildir.
public final class CommsServer: Sendable {
    /// An SMTP relay to deliver through instead of the Maildir.
    public struct SMTPSettings: Sendable {
        public var host: String
        public var port: Int
        public var startTLS: Bool
        public var caFile: String?
        public var username: String?
        public var password: String?

        public init(host: String, port: Int, startTLS: Bool = false, caFile: String? = nil, username: String? = nil, password: String? = nil) {
            self.host = host
            self.port = port
            self.startTLS = startTLS
            self.caFile = caFile
            self.username = username
            self.password = password
        }
    }

    public struct Configuration: Sendable {
        public var databasePath: String
        public var authSecret: String
        public var leads: LeadsReader
        /// The Maildir folder messages are delivered to.
        public var maildir: String
        /// The From address of every message.
        public var fromAddress: String
        public var retry: RetryPolicy
        public var clock: WallClock
        /// crm-activities, whose feed gives the reminders; nil keeps none.
        public var activities: RPCClient?
        /// How long before an activity starts its assignee is reminded.
        public var reminderLeadTime: Duration
        /// Deliver through this SMTP relay; nil delivers into the Maildir.
        public var smtp: SMTPSettings?

        public init(databasePath: String, authSecret: String, leads: LeadsReader, maildir: String, fromAddress: String = "crm@localhost.localdomain",
                    retry: RetryPolicy = RetryPolicy(), clock: WallClock = .system, activities: RPCClient? = nil, reminderLeadTime: Duration = .seconds(3600),
                    smtp: SMTPSettings? = nil) {
            self.smtp = smtp
            self.activities = activities
            self.reminderLeadTime = reminderLeadTime
            self.databasePath = databasePath
            self.authSecret = authSecret
            self.leads = leads
            self.maildir = maildir
            self.fromAddress = fromAddress
            self.retry = retry
            self.clock = clock
        }
    }

    public let database: ServiceDatabase
    private let handler: CommsHandler
    private let reminderLeadTime: Int64
    private let authentication: AuthenticationInterceptor
    private let worker: DeliveryWorker
    private let follower: FeedFollower<ReminderFeed>?

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "crm-comms")) throws {
        let signer = try TokenSigner(secret: configuration.authSecret)
        database = try ServiceDatabase(path: configuration.databasePath, label: "crm-comms", migrator: ServiceDatabase.migrator(CommsSchema.register))
        let domain = configuration.fromAddress.split(separator: "@").last.map(String.init) ?? "localhost.localdomain"
        handler = CommsHandler(database: database, leads: configuration.leads, clock: configuration.clock, messageIDDomain: domain)
        reminderLeadTime = configuration.reminderLeadTime.milliseconds
        authentication = AuthenticationInterceptor(
            authenticator: Authenticator(signer: signer, clock: configuration.clock), directory: CallerDirectory(lookup: configuration.leads.account))
        let clock = configuration.clock
        let token = try Self.serviceToken(secret: configuration.authSecret, clock: clock)
        let handler = self.handler
        // Reminders are crm-comms' own messages: read and sent as a service.
        let reminders: @Sendable (Int64) async throws -> Void = { now in
            let context = ServerContext(method: CommsV1.Comms.Method.send, metadata: Metadata(authorization: "Bearer \(token())"), logger: logger)
            try await CallerContext.$current.withValue(Caller(userID: 0, role: .service, unitID: 0)) {
                try await handler.queueReminders(now: now, serviceContext: context) { logger.notice("\($0)") }
            }
        }
        worker = DeliveryWorker(
            database: self.database, transport: try Self.transport(configuration), policy: configuration.retry,
            fromAddress: configuration.fromAddress, logger: logger, clock: { clock.millis() }, record: configuration.leads.recordMessage,
            reminders: reminders)
        let database = self.database
        follower = configuration.activities.map {
            FeedFollower(feed: ReminderFeed(database: database, activities: $0, leadTimeMillis: configuration.reminderLeadTime.milliseconds), token: token, logger: logger)
        }
    }

    public func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(handler)
        router.intercept(with: ErrorMappingInterceptor())
        router.intercept(with: authentication)
        return router
    }

    /// What runs beside the server: the delivery worker.
    public var background: [any Service] { [worker] + (follower.map { [$0] } ?? []) }

    /// Applies one activities event to the reminders (tests call this instead of following the feed).
    public func applyActivityEvent(_ event: ActivitiesV1.ActivityEvent) async throws {
        let leadTime = reminderLeadTime
        try await database.write { db in try ReminderStore.apply(db, event, leadTimeMillis: leadTime) }
    }

    static func transport(_ c: Configuration) throws -> any MailTransport {
        guard let smtp = c.smtp else { return try MaildirTransport(root: URL(fileURLWithPath: c.maildir)) }
        let domain = c.fromAddress.split(separator: "@").last.map(String.init) ?? "localhost.localdomain"
        return SMTPTransport(configuration: SMTPTransport.Configuration(
            host: smtp.host, port: smtp.port, startTLS: smtp.startTLS, caFile: smtp.caFile, username: smtp.username, password: smtp.password,
            heloName: domain, envelopeFrom: c.fromAddress, timeout: .seconds(30)))
    }

    /// A token crm-comms signs for its own calls to the other services.
    public static func serviceToken(secret: String, clock: WallClock = .system) throws -> @Sendable () -> String {
        let signer = try TokenSigner(secret: secret)
        return {
            let now = clock.millis()
            return signer.sign(TokenSigner.Claims(caller: Caller(userID: 0, role: .service, unitID: 0), issuedAt: now, expiresAt: now + 300_000))
        }
    }

    /// Delivers what is due now (tests call this instead of running the worker).
    public func deliverDue() async throws -> Int { try await worker.deliverDue() }
}
