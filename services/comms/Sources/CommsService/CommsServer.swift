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

        public init(databasePath: String, authSecret: String, leads: LeadsReader, maildir: String, fromAddress: String = "crm@localhost.localdomain",
                    retry: RetryPolicy = RetryPolicy(), clock: WallClock = .system) {
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
    private let authentication: AuthenticationInterceptor
    private let worker: DeliveryWorker

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "crm-comms")) throws {
        let signer = try TokenSigner(secret: configuration.authSecret)
        database = try ServiceDatabase(path: configuration.databasePath, label: "crm-comms", migrator: ServiceDatabase.migrator(CommsSchema.register))
        let domain = configuration.fromAddress.split(separator: "@").last.map(String.init) ?? "localhost.localdomain"
        handler = CommsHandler(database: database, leads: configuration.leads, clock: configuration.clock, messageIDDomain: domain)
        authentication = AuthenticationInterceptor(
            authenticator: Authenticator(signer: signer, clock: configuration.clock), directory: CallerDirectory(lookup: configuration.leads.account))
        let clock = configuration.clock
        worker = DeliveryWorker(
            database: database, transport: try MaildirTransport(root: URL(fileURLWithPath: configuration.maildir)), policy: configuration.retry,
            fromAddress: configuration.fromAddress, logger: logger, clock: { clock.millis() }, record: configuration.leads.recordMessage)
    }

    public func router() -> RPCRouter {
        var router = RPCRouter()
        router.register(handler)
        router.intercept(with: ErrorMappingInterceptor())
        router.intercept(with: authentication)
        return router
    }

    /// What runs beside the server: the delivery worker.
    public var background: [any Service] { [worker] }

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
