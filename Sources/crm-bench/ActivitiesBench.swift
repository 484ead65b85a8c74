import ActivitiesService
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import LeadsDomain
import LeadsService
import Logging

/// crm-activities' benchmarks, through real servers on loopback (crm-leads and crm-activities
/// asking each other, as in production): durable schedule-activity creates/s at 32 clients
/// beside SQLite alone doing the same inserts (crm-activities-floor); GetOpenWork p50 beside an
/// Echo round trip on the same runtime; and what the open-work check adds to WinLead (p50 with
/// the check against crm-activities, and with a check that answers at once).
struct ActivitiesBench {
    var creates: Int

    func run() async throws -> (table: String, context: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-bench-activities-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .warning
        let secret = String(repeating: "b", count: 40)
        let activitiesPort = try await Self.freePort()

        // crm-leads with the real check, and one whose check answers "no open work" at once.
        let checked = try LeadsServer(LeadsServer.Configuration(
            databasePath: folder.appendingPathComponent("leads.sqlite").path, authSecret: secret, passwordRounds: 1_000,
            openWork: .activities(RPCClient(host: "127.0.0.1", port: activitiesPort))))
        let unchecked = try LeadsServer(LeadsServer.Configuration(
            databasePath: folder.appendingPathComponent("leads-unchecked.sqlite").path, authSecret: secret, passwordRounds: 1_000,
            openWork: OpenWorkCheck { _, _ in 0 }))
        for leads in [checked, unchecked] { try await leads.bootstrapAdmin(login: "admin", password: "bench-password-1") }
        let leadsServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: checked.router(), logger: logger)
        let uncheckedServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: unchecked.router(), logger: logger)
        try await leadsServer.start()
        try await uncheckedServer.start()
        let activities = try ActivitiesServer(ActivitiesServer.Configuration(
            databasePath: folder.appendingPathComponent("activities.sqlite").path, authSecret: secret,
            leads: .rpc(RPCClient(host: "127.0.0.1", port: leadsServer.port!))))
        let activitiesServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: activitiesPort), router: activities.router(), logger: logger)
        try await activitiesServer.start()
        var echoRouter = RPCRouter()
        echoRouter.register(EchoService())
        let echoServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: echoRouter, logger: logger)
        try await echoServer.start()

        let leadsRPC = RPCClient(host: "127.0.0.1", port: leadsServer.port!)
        let uncheckedRPC = RPCClient(host: "127.0.0.1", port: uncheckedServer.port!)
        let activitiesRPC = RPCClient(host: "127.0.0.1", port: activitiesPort)
        let echoRPC = RPCClient(host: "127.0.0.1", port: echoServer.port!)
        func signIn(_ rpc: RPCClient) async throws -> CallOptions {
            let token = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "bench-password-1")).token
            return CallOptions(timeout: .seconds(600), metadata: Metadata(authorization: "Bearer \(token)"))
        }
        let admin = try await signIn(leadsRPC)
        let uncheckedAdmin = try await signIn(uncheckedRPC)
        let leads = LeadsV1.Leads.Client(leadsRPC)
        let work = ActivitiesV1.Activities.Client(activitiesRPC)

        var leadIDs: [Int64] = []
        for i in 0..<100 {
            leadIDs.append(try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "Bench Lead \(i)", company: "Acme", emails: ["lead\(i)@bench.example"], country: "ES")), options: admin).id)
        }
        let ids = leadIDs
        func schedule(_ i: Int) async throws {
            _ = try await work.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
                leadId: ids[i % ids.count], typeId: 1, subject: "Demo \(i)", startAt: 1_900_000_000_000 + Int64(i % 1000) * 3_600_000,
                location: "Madrid office")), options: admin)
        }
        for i in 0..<300 { try await schedule(i) }  // warm: connections, caches, the account check
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask { for i in stride(from: worker, to: creates, by: 32) { try await schedule(300 + i) } }
            }
            try await group.waitForAll()
        }
        let scheduleRate = Double(creates) / (ContinuousClock.now - start).seconds

        // GetOpenWork for leads with the open work a lead has in a sales team's day (two
        // activities), beside Echo on the same runtime.
        var busyLeads: [Int64] = []
        for i in 0..<100 {
            let id = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Busy Lead \(i)", country: "ES")), options: admin).id
            for subject in ["Demo", "Follow-up call"] {
                _ = try await work.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
                    leadId: id, typeId: 1, subject: subject, startAt: 1_900_000_000_000)), options: admin)
            }
            busyLeads.append(id)
        }
        var openWork: [Double] = []
        for _ in 0..<500 { _ = try await work.getOpenWork(ActivitiesV1.GetOpenWorkRequest(leadId: busyLeads[0]), options: admin) }
        for i in 0..<5_000 {
            let t = ContinuousClock.now
            _ = try await work.getOpenWork(ActivitiesV1.GetOpenWorkRequest(leadId: busyLeads[i % busyLeads.count]), options: admin)
            openWork.append((ContinuousClock.now - t).microseconds)
        }
        let echo = TestingV1.Echo.Client(echoRPC)
        let ping = TestingV1.EchoRequest(text: "ping", payload: [UInt8](repeating: 7, count: 32))
        for _ in 0..<1_000 { _ = try await echo.echo(ping) }
        var echoes: [Double] = []
        for _ in 0..<5_000 {
            let t = ContinuousClock.now
            _ = try await echo.echo(ping)
            echoes.append((ContinuousClock.now - t).microseconds)
        }

        // WinLead with and without the check: leads in progress with no open work.
        func winP50(_ client: LeadsV1.Leads.Client, _ options: CallOptions, count: Int) async throws -> Double {
            var samples: [Double] = []
            for i in 0..<count {
                var lead = try await client.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Winner \(i)", country: "ES")), options: options)
                lead = try await client.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: options)
                let t = ContinuousClock.now
                _ = try await client.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: options)
                samples.append((ContinuousClock.now - t).microseconds)
            }
            return Self.p50(samples)
        }
        let winChecked = try await winP50(leads, admin, count: 500)
        let winUnchecked = try await winP50(LeadsV1.Leads.Client(uncheckedRPC), uncheckedAdmin, count: 500)

        for rpc in [leadsRPC, uncheckedRPC, activitiesRPC, echoRPC] { await rpc.close() }
        for server in [leadsServer, uncheckedServer, activitiesServer, echoServer] { await server.shutdown() }
        try? activities.database.close()
        try? checked.database.close()
        try? unchecked.database.close()

        // SQLite alone, in a database the service's own migrations made.
        let floorPath = folder.appendingPathComponent("floor.sqlite").path
        let floorDatabase = try ActivitiesServer(ActivitiesServer.Configuration(databasePath: floorPath, authSecret: secret, leads: .unconfigured))
        try floorDatabase.database.close()
        let floor = try runFloorProgram("crm-activities-floor", [floorPath, String(creates), "32"])["rate"]!

        let openP50 = Self.p50(openWork), echoP50 = Self.p50(echoes)
        let rows: [(String, String, String, String)] = [
            ("ScheduleActivity creates/s, 32 clients", String(format: "%.0f", scheduleRate), String(format: "%.0f (32 a transaction)", floor),
             String(format: "%.2fx the floor (>= 0.7x: %@)", scheduleRate / floor, scheduleRate >= 0.7 * floor ? "met" : "not met")),
            ("GetOpenWork p50", String(format: "%.1f µs", openP50), String(format: "%.1f µs (Echo)", echoP50),
             String(format: "%.2fx Echo (<= 2x: %@)", openP50 / echoP50, openP50 <= 2 * echoP50 ? "met" : "not met")),
            ("WinLead p50, with the check", String(format: "%.1f µs", winChecked), String(format: "%.1f µs (check answering at once)", winUnchecked),
             String(format: "+%.1f µs for the check", winChecked - winUnchecked)),
        ]
        var table = "| measurement | crm-activities | beside | ratio (target) |\n|---|---|---|---|\n"
        for row in rows { table += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
        let context = """
            Durable (synchronous = FULL) crm-leads and crm-activities in one process on loopback, each calling the other over TCP; \
            \(creates) activities scheduled over 100 leads by 32 clients (each ScheduleActivity asks crm-leads for its lead); GetOpenWork \
            on leads with two open activities each; the floor: crm-activities-floor inserting the same rows and events from C.
            """
        return (table, context)
    }

    static func p50(_ samples: [Double]) -> Double { samples.sorted()[samples.count / 2] }

    static func freePort() async throws -> Int {
        let probe = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: RPCRouter())
        try await probe.start()
        let port = probe.port!
        await probe.shutdown()
        return port
    }
}
