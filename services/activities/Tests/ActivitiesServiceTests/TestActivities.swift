import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMServiceTesting
import CRMWire
import Foundation
import Synchronization
@testable import ActivitiesService

/// crm-activities on a fresh database, called in process (no TCP), with crm-leads played by a
/// table of leads and users the test controls.
final class TestActivities: Sendable {
    static let secret = String(repeating: "t", count: 40)
    let folder: URL
    let server: ActivitiesServer
    let caller: InProcessCaller
    let directory = FakeDirectory()

    final class FakeDirectory: Sendable {
        let state = Mutex(FakeLeads())
        func withLock<T>(_ body: (inout FakeLeads) throws -> T) rethrows -> T { try state.withLock { try body(&$0) } }
    }

    struct FakeLeads {
        /// Lead id -> the lead and who may see it (nil: everyone).
        var leads: [Int64: (LeadSummary, Set<Int64>?)] = [:]
        /// User id -> unit.
        var users: [Int64: Int64] = [:]
        var deactivated: Set<Int64> = []
        var down = false
    }

    init(clock: WallClock = .system) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-activities-test-\(UUID().uuidString)")
        let directory = self.directory
        let peer = LeadsPeer(
            lead: { id, context in
                let caller = try context.caller()
                return try directory.withLock { fake in
                    if fake.down { throw RPCError(.unavailable, "crm-leads is down") }
                    guard let (lead, viewers) = fake.leads[id] else { return nil }
                    return viewers == nil || viewers!.contains(caller.userID) || caller.role.seesAllLeads ? lead : nil
                }
            },
            userUnit: { id, _ in try directory.withLock { fake in
                if fake.down { throw RPCError(.unavailable, "crm-leads is down") }
                return fake.deactivated.contains(id) ? nil : fake.users[id]
            } },
            account: { claimed, _ in directory.withLock { $0.deactivated.contains(claimed.userID) ? nil : claimed } })
        server = try ActivitiesServer(ActivitiesServer.Configuration(
            databasePath: folder.appendingPathComponent("activities.sqlite").path, authSecret: Self.secret, leads: peer, clock: clock, accountCheckLifetime: .zero))
        caller = try InProcessCaller(router: server.router(), secret: Self.secret, clock: clock)
    }

    func stop() {
        try? server.database.close()
        try? FileManager.default.removeItem(at: folder)
    }

    func call<Request: WireMessage, Response: WireMessage>(
        _ method: MethodDescriptor, _ request: Request, as caller: Caller, key: String = "", _: Response.Type = Response.self
    ) async throws(RPCError) -> Response {
        try await self.caller.call(method, request, as: caller, idempotencyKey: key)
    }

    func addLead(_ id: Int64, _ name: String, email: String = "", visibleTo: Set<Int64>? = nil) {
        directory.withLock { $0.leads[id] = (LeadSummary(fullName: name, company: "Acme", email: email, phone: "+34600111222"), visibleTo) }
    }

    func addUser(_ id: Int64, unit: Int64 = 0) {
        directory.withLock { $0.users[id] = unit }
    }

    typealias M = ActivitiesV1.Activities.Method

    func schedule(lead: Int64, subject: String = "Demo", start: Int64 = 1_800_000_000_000, type: Int64 = 1, assignee: Int64 = 0, as caller: Caller) async throws(RPCError) -> ActivitiesV1.Activity {
        try await call(M.scheduleActivity, ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
            leadId: lead, typeId: type, subject: subject, startAt: start, assigneeId: assignee)), as: caller)
    }

    func openWork(_ lead: Int64, as caller: Caller) async throws(RPCError) -> ActivitiesV1.GetOpenWorkResponse {
        try await call(M.getOpenWork, ActivitiesV1.GetOpenWorkRequest(leadId: lead), as: caller)
    }

    func events() async throws -> [EventOutbox.StoredEvent] {
        try await server.database.read { db in try EventOutbox.events(db, after: 0, limit: 1_000) }
    }
}

let admin = Caller(userID: 1, role: .admin, unitID: 0)
let manager = Caller(userID: 2, role: .salesManager, unitID: 0)
let unitManager = Caller(userID: 3, role: .unitManager, unitID: 10)
let agent = Caller(userID: 4, role: .agent, unitID: 10)
let otherAgent = Caller(userID: 5, role: .agent, unitID: 20)
let service = Caller(userID: 0, role: .service, unitID: 0)
