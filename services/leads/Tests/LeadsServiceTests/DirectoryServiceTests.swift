import CRMAPI
import CRMRPC
import CRMWire
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Auth and Directory over RPC", .timeLimit(.minutes(3)))
struct DirectoryServiceTests {
    func newUser(_ login: String, role: LeadsV1.Role = .agent, unit: Int64 = 0) -> LeadsV1.CreateUserRequest {
        LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: login, name: "User \(login)", email: "\(login)@example.com", role: role, unitId: unit, active: true),
            password: "password-\(login)-123")
    }

    @Test("login issues a token that WhoAmI accepts; wrong passwords and missing tokens are UNAUTHENTICATED")
    func login() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let me = try await service.auth.whoAmI(LeadsV1.WhoAmIRequest(), options: admin)
        #expect(me.login == "admin")
        #expect(me.role == .admin)

        for (login, password) in [("admin", "wrong-password"), ("nobody", "whatever-password")] {
            let error = await #expect(throws: RPCError.self) { try await service.auth.login(LeadsV1.LoginRequest(login: login, password: password)) }
            #expect(error?.code == .unauthenticated)
        }
        let empty = await #expect(throws: RPCError.self) { try await service.auth.login(LeadsV1.LoginRequest()) }
        #expect(empty?.code == .invalidArgument)
        #expect(Set(empty?.violations.map(\.field) ?? []) == ["login", "password"])

        let anonymous = await #expect(throws: RPCError.self) { try await service.directory.listUsers(LeadsV1.ListUsersRequest()) }
        #expect(anonymous?.code == .unauthenticated)
        let forged = await #expect(throws: RPCError.self) {
            try await service.directory.listUsers(LeadsV1.ListUsersRequest(), options: CallOptions(metadata: Metadata(authorization: "Bearer crm1.e30.AAAA")))
        }
        #expect(forged?.code == .unauthenticated)
        await service.stop()
    }

    @Test("an admin creates units and users; the user signs in; agents may not change the directory")
    func createAndRoles() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let unit = try await service.directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Madrid Norte", kind: .team, active: true)), options: admin)
        #expect(unit.id > 0 && unit.version == 1)
        let agent = try await service.directory.createUser(newUser("ana", unit: unit.id), options: admin)
        #expect(agent.unitId == unit.id)
        #expect(agent.role == .agent)

        let anaOptions = try await service.signedIn("ana", password: "password-ana-123")
        #expect(try await service.auth.whoAmI(LeadsV1.WhoAmIRequest(), options: anaOptions).id == agent.id)
        let denied = await #expect(throws: RPCError.self) { try await service.directory.createUser(newUser("bob"), options: anaOptions) }
        #expect(denied?.code == .permissionDenied)
        // Reads are open to every role.
        #expect(try await service.directory.getUnit(LeadsV1.GetUnitRequest(id: unit.id), options: anaOptions).name == "Madrid Norte")
        await service.stop()
    }

    @Test("bad input names every bad field and changes nothing")
    func badInput() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let before = try await service.directory.listUsers(LeadsV1.ListUsersRequest(), options: admin).users
        let request = LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "X Y", name: "", email: "not-an-email", role: .unspecified, unitId: 999),
            password: "short")
        let error = await #expect(throws: RPCError.self) { try await service.directory.createUser(request, options: admin) }
        #expect(error?.code == .invalidArgument)
        #expect(Set(error?.violations.map(\.field) ?? []) == ["user.login", "user.name", "user.email", "user.role", "password"])
        // A unit that does not exist is caught in the transaction.
        let noUnit = await #expect(throws: RPCError.self) { try await service.directory.createUser(newUser("carl", unit: 999), options: admin) }
        #expect(noUnit?.violations.first?.field == "user.unit_id")
        let paging = await #expect(throws: RPCError.self) {
            try await service.directory.listUsers(LeadsV1.ListUsersRequest(pageSize: 501, pageToken: "forged"), options: admin)
        }
        #expect(Set(paging?.violations.map(\.field) ?? []) == ["page_size", "page_token"])
        #expect(try await service.directory.listUsers(LeadsV1.ListUsersRequest(), options: admin).users == before)
        await service.stop()
    }

    @Test("duplicates are ALREADY_EXISTS, stale versions ABORTED, missing ids NOT_FOUND")
    func conflicts() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let ana = try await service.directory.createUser(newUser("ana"), options: admin)
        let duplicate = await #expect(throws: RPCError.self) { try await service.directory.createUser(newUser("ANA"), options: admin) }
        #expect(duplicate?.code == .alreadyExists)

        let renamed = try await service.directory.updateUser(
            LeadsV1.UpdateUserRequest(id: ana.id, version: ana.version, user: LeadsV1.UserInput(name: "Ana María"), updateMask: ["name"]), options: admin)
        #expect(renamed.name == "Ana María" && renamed.version == 2 && renamed.email == ana.email)
        let stale = await #expect(throws: RPCError.self) {
            try await service.directory.updateUser(
                LeadsV1.UpdateUserRequest(id: ana.id, version: ana.version, user: LeadsV1.UserInput(name: "Old"), updateMask: ["name"]), options: admin)
        }
        #expect(stale?.code == .aborted)
        let badMask = await #expect(throws: RPCError.self) {
            try await service.directory.updateUser(
                LeadsV1.UpdateUserRequest(id: ana.id, version: 2, user: LeadsV1.UserInput(), updateMask: ["password"]), options: admin)
        }
        #expect(badMask?.violations.first?.field == "update_mask")
        let missing = await #expect(throws: RPCError.self) { try await service.directory.getUser(LeadsV1.GetUserRequest(id: 424242), options: admin) }
        #expect(missing?.code == .notFound)
        await service.stop()
    }

    @Test("a retried call with the same idempotency key returns the first answer and creates nothing more")
    func idempotency() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let keyed = admin.with(idempotencyKey: "create-ana-1")
        let first = try await service.directory.createUser(newUser("ana"), options: keyed)
        let again = try await service.directory.createUser(newUser("ana"), options: keyed)
        #expect(again == first)
        let users = try await service.directory.listUsers(LeadsV1.ListUsersRequest(text: "ana"), options: admin).users
        #expect(users.count == 1)
        await service.stop()
    }

    @Test("lists page through every user in name order; every change is in the event feed")
    func listsAndEvents() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        for i in 0..<7 { _ = try await service.directory.createUser(newUser("user\(i)"), options: admin) }
        var seen: [String] = []
        var token = ""
        repeat {
            let page = try await service.directory.listUsers(LeadsV1.ListUsersRequest(pageSize: 3, pageToken: token), options: admin)
            seen += page.users.map(\.login)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(seen == ["admin"] + (0..<7).map { "user\($0)" })
        let events = try await service.events()
        #expect(events.count == 8)
        #expect(events.allSatisfy { $0.type == .userChanged && $0.user != nil })
        await service.stop()
    }

    @Test("ChangePassword checks the current password; the new one works")
    func changePassword() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let wrong = await #expect(throws: RPCError.self) {
            try await service.auth.changePassword(LeadsV1.ChangePasswordRequest(currentPassword: "nope-nope-nope", newPassword: "brand-new-password"), options: admin)
        }
        #expect(wrong?.violations.first?.field == "current_password")
        _ = try await service.auth.changePassword(
            LeadsV1.ChangePasswordRequest(currentPassword: TestLeadsService.adminPassword, newPassword: "brand-new-password"), options: admin)
        _ = try await service.signedIn("admin", password: "brand-new-password")
        await service.stop()
    }
}
