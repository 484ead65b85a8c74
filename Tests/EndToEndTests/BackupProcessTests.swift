import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Synchronization
import Testing

/// Online backup and restore of a service's database, with the real executables (issue 18).
@Suite("crm-leads --backup-to and --restore-from", .timeLimit(.minutes(3)))
struct BackupProcessTests {
    @Test("a backup taken under write load restores to a checked database holding every write acknowledged before it began; a restore refuses a running service's database")
    func backupUnderLoad() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("leads.sqlite").path
        let environment = ["CRM_AUTH_SECRET": LeadsProcessTests.secret, "CRM_DATABASE": database, "CRM_ADMIN_PASSWORD": "first-admin-pass"]
        let service = try await ServiceProcess("crm-leads", arguments: ["--password-rounds", "1000"], environment: environment)
        let rpc = RPCClient(host: "127.0.0.1", port: service.port)
        let login = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass"))
        let admin = CallOptions(timeout: .seconds(30), metadata: Metadata(authorization: "Bearer \(login.token)"))
        let leads = LeadsV1.Leads.Client(rpc)

        // Writers create leads the whole time; every acknowledged id is kept.
        let load = WriteLoad()
        let writers = (0..<4).map { w in
            Task {
                var n = 0
                while !load.stop.withLock({ $0 }) {
                    let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Writer \(w) lead \(n)")), options: admin)
                    load.acknowledged.withLock { $0.append(lead.id) }
                    n += 1
                }
            }
        }
        while load.acknowledged.withLock({ $0.count }) < 200 { try await Task.sleep(for: .milliseconds(20)) }
        let before = Set(load.acknowledged.withLock { $0 })
        let backupPath = folder.appendingPathComponent("backup.sqlite").path
        let tool = CLI(environment: environment, executable: "crm-leads")
        let backup = try await tool.run("--backup-to", backupPath)
        #expect(backup.status == 0, "\(backup.err)")
        #expect(backup.out.contains("integrity ok"))
        try await Task.sleep(for: .milliseconds(200))  // writes go on after the backup
        load.stop.withLock { $0 = true }
        for writer in writers { try await writer.value }
        let after = load.acknowledged.withLock { $0.count }
        #expect(after > before.count)

        // Not over a database a running service has open.
        let refused = try await tool.run("--restore-from", backupPath)
        #expect(refused.status == 1 && refused.err.contains("stop the service"), "\(refused.err)")
        await rpc.close()
        #expect(await service.terminate() == 0)

        // Restored elsewhere and served: every lead acknowledged before the backup began.
        let restoredPath = folder.appendingPathComponent("restored/leads.sqlite").path
        var restoredEnvironment = environment
        restoredEnvironment["CRM_DATABASE"] = restoredPath
        let restore = try await CLI(environment: restoredEnvironment, executable: "crm-leads").run("--restore-from", backupPath)
        #expect(restore.status == 0, "\(restore.err)")
        let restored = try await ServiceProcess("crm-leads", arguments: ["--password-rounds", "1000"], environment: restoredEnvironment)
        let again = RPCClient(host: "127.0.0.1", port: restored.port)
        let token = try await LeadsV1.Auth.Client(again).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass")).token
        let options = CallOptions(timeout: .seconds(30), metadata: Metadata(authorization: "Bearer \(token)"))
        var ids: Set<Int64> = []
        var pageToken = ""
        repeat {
            let page = try await LeadsV1.Leads.Client(again).listLeads(LeadsV1.ListLeadsRequest(pageSize: 500, pageToken: pageToken), options: options)
            ids.formUnion(page.leads.map(\.id))
            pageToken = page.nextPageToken
        } while !pageToken.isEmpty
        #expect(before.isSubset(of: ids), "missing \(before.subtracting(ids).sorted().prefix(10))")
        #expect(ids.count <= after)
        await again.close()
        #expect(await restored.terminate() == 0)
    }
}

/// What the writers of a load test share.
final class WriteLoad: Sendable {
    let acknowledged = Mutex<[Int64]>([])
    let stop = Mutex(false)
}
