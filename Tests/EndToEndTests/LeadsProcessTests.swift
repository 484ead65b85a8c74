import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Testing

@Suite("crm-leads as a real process", .timeLimit(.minutes(3)))
struct LeadsProcessTests {
    static let secret = String(repeating: "e", count: 48)

    func start(_ folder: URL, adminPassword: String? = "first-admin-pass") async throws -> ServiceProcess {
        var environment = ["CRM_AUTH_SECRET": Self.secret, "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path]
        if let adminPassword { environment["CRM_ADMIN_PASSWORD"] = adminPassword }
        return try await ServiceProcess("crm-leads", arguments: ["--password-rounds", "1000"], environment: environment)
    }

    @Test("signs in the first admin, keeps users, leads, notes and the event feed across a restart, and shuts down cleanly")
    func restart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-leads-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }

        let first = try await start(folder)
        var rpc = RPCClient(host: "127.0.0.1", port: first.port)
        let login = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass"))
        let admin = CallOptions(metadata: Metadata(authorization: "Bearer \(login.token)"))
        let unit = try await LeadsV1.Directory.Client(rpc).createUnit(
            LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Valencia", kind: .channel, active: true)), options: admin)
        _ = try await LeadsV1.Directory.Client(rpc).createUser(
            LeadsV1.CreateUserRequest(
                user: LeadsV1.UserInput(login: "lucia", name: "Lucía", email: "lucia@example.com", role: .unitManager, unitId: unit.id, active: true),
                password: "lucia-password-1"),
            options: admin)
        // Bad input over the wire: named fields, nothing stored.
        let bad = await #expect(throws: RPCError.self) {
            try await LeadsV1.Directory.Client(rpc).createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "")), options: admin)
        }
        #expect(Set(bad?.violations.map(\.field) ?? []) == ["unit.name", "unit.kind"])
        let leads = LeadsV1.Leads.Client(rpc)
        let imported = try await leads.importLeads(LeadsV1.ImportLeadsRequest(csv: Array("name,email\nAna,ana@x.com\nBea,bea@x.com\n".utf8)), options: admin)
        let note = try await leads.addNote(LeadsV1.AddNoteRequest(leadId: imported.createdIds[0], text: "call back on Monday"), options: admin)
        let head = try await leads.listEvents(LeadsV1.ListEventsRequest(limit: 1), options: admin).head
        #expect(await first.terminate() == 0)
        await rpc.close()

        // The same database, no admin password needed any more: everything is still there.
        let second = try await start(folder, adminPassword: nil)
        rpc = RPCClient(host: "127.0.0.1", port: second.port)
        let lucia = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "lucia", password: "lucia-password-1"))
        #expect(lucia.user?.unitId == unit.id)
        #expect(lucia.user?.role == .unitManager)
        let units = try await LeadsV1.Directory.Client(rpc).listUnits(
            LeadsV1.ListUnitsRequest(), options: CallOptions(metadata: Metadata(authorization: lucia.token)))
        #expect(units.units.map(\.name) == ["Valencia"])
        let again = CallOptions(metadata: Metadata(authorization: "Bearer \(try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass")).token)"))
        let kept = LeadsV1.Leads.Client(rpc)
        #expect(try await kept.listLeads(LeadsV1.ListLeadsRequest(sort: [RpcV1.SortKey(field: "id")]), options: again).leads.map(\.fullName) == ["Ana", "Bea"])
        #expect(try await kept.listNotes(LeadsV1.ListNotesRequest(leadId: imported.createdIds[0]), options: again).notes == [note])
        let events = try await kept.listEvents(LeadsV1.ListEventsRequest(limit: 1_000), options: again)
        #expect(events.head == head && events.events.map(\.sequence) == Array(1...head))
        #expect(await second.terminate() == 0)
        await rpc.close()
    }

    @Test("an empty database without a first admin password is a usage error that says what to do")
    func needsAdmin() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-leads-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try await start(folder, adminPassword: nil)
            Issue.record("crm-leads started without a first admin")
        } catch let error as ProcessError {
            #expect(error.description.contains("CRM_ADMIN_PASSWORD"), "\(error.description)")
        }
    }
}
