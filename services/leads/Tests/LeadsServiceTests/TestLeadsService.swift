import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
@testable import LeadsDomain
@testable import LeadsService

/// A leads service on a fresh database in a temporary folder, served over TCP on a free port.
struct TestLeadsService {
    static let adminPassword = "admin-password-1"
    let folder: URL
    let leads: LeadsServer
    let server: RPCServer
    let client: RPCClient

    static func start(clock: WallClock = .system, openWork: OpenWorkCheck = OpenWorkCheck { _, _ in 0 }) async throws -> TestLeadsService {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-leads-test-\(UUID().uuidString)")
        let leads = try LeadsServer(LeadsServer.Configuration(
            databasePath: folder.appendingPathComponent("leads.sqlite").path,
            authSecret: String(repeating: "s", count: 40), passwordRounds: 1_000, clock: clock, openWork: openWork))
        try await leads.bootstrapAdmin(login: "admin", password: adminPassword)
        let server = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: leads.router())
        try await server.start()
        return TestLeadsService(folder: folder, leads: leads, server: server, client: RPCClient(host: "127.0.0.1", port: server.port!))
    }

    func stop() async {
        await client.close()
        await server.shutdown()
        try? leads.database.close()
        try? FileManager.default.removeItem(at: folder)
    }

    var auth: LeadsV1.Auth.Client { LeadsV1.Auth.Client(client) }
    var directory: LeadsV1.Directory.Client { LeadsV1.Directory.Client(client) }
    var leadsClient: LeadsV1.Leads.Client { LeadsV1.Leads.Client(client) }

    /// Creates a user with `role` (and optionally a unit) and returns call options signed in as them.
    func user(_ login: String, role: LeadsV1.Role, unit: Int64 = 0, admin: CallOptions) async throws -> (LeadsV1.User, CallOptions) {
        let user = try await directory.createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: login, name: "User \(login)", email: "\(login)@example.com", role: role, unitId: unit, active: true),
            password: "password-\(login)-1"), options: admin)
        return (user, try await signedIn(login, password: "password-\(login)-1"))
    }

    /// Call options carrying a fresh token for `login`.
    func signedIn(_ login: String = "admin", password: String = adminPassword, idempotencyKey: String = "") async throws -> CallOptions {
        let response = try await auth.login(LeadsV1.LoginRequest(login: login, password: password))
        return CallOptions(timeout: .seconds(30), metadata: Metadata(authorization: "Bearer \(response.token)", idempotencyKey: idempotencyKey))
    }

    /// Every event in the feed, decoded.
    func events() async throws -> [LeadsV1.LeadEvent] {
        try await leads.database.read { db in try EventOutbox.events(db, after: 0, limit: 1_000) }
            .map { try LeadsV1.LeadEvent(serializedBytes: $0.payload) }
    }
}

