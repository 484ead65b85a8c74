import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import LeadsDomain
import LeadsService
import Logging

/// The leads service's benchmarks : durable creates/s with 1 and 32 clients,
/// get by id, a CSV import of `rows` leads and a filtered page over them, through a real
/// server on loopback with its database in a temporary folder.
struct LeadsBench {
    var rows: Int
    var creates: Int

    func run() async throws -> (table: String, context: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-bench-leads-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let leads = try LeadsServer(LeadsServer.Configuration(
            databasePath: folder.appendingPathComponent("leads.sqlite").path, authSecret: String(repeating: "b", count: 40),
            passwordRounds: 1_000, openWork: OpenWorkCheck { _, _ in 0 }))
        try await leads.bootstrapAdmin(login: "admin", password: "bench-password-1")
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .warning
        let server = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: leads.router(), logger: logger)
        try await server.start()
        let rpc = RPCClient(host: "127.0.0.1", port: server.port!)
        let token = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "bench-password-1")).token
        let options = CallOptions(timeout: .seconds(600), metadata: Metadata(authorization: "Bearer \(token)"))
        let client = LeadsV1.Leads.Client(rpc)
        defer { try? leads.database.close() }

        func create(_ i: Int) async throws -> Int64 {
            try await client.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "Bench Lead \(i)", company: "Company \(i % 997)", emails: ["lead\(i)@bench.example"], country: "ES", campaign: "Campaign \(i % 50)")),
                options: options).id
        }
        var next = 0
        for _ in 0..<200 { _ = try await create(next); next += 1 }
        let oneClient = min(creates / 10, 2_000)
        var start = ContinuousClock.now
        for _ in 0..<oneClient { _ = try await create(next); next += 1 }
        let createsOne = Double(oneClient) / (ContinuousClock.now - start).seconds

        let base = next
        start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    for i in stride(from: worker, to: creates, by: 32) { _ = try await create(base + i) }
                }
            }
            try await group.waitForAll()
        }
        let createsMany = Double(creates) / (ContinuousClock.now - start).seconds
        next += creates

        var gets: [Double] = []
        for i in 0..<5_000 {
            let t = ContinuousClock.now
            _ = try await client.getLead(LeadsV1.GetLeadRequest(id: Int64(1 + i % next)), options: options)
            gets.append((ContinuousClock.now - t).microseconds)
        }
        gets.sort()

        // The import: `rows` leads in chunks of at most 3 MiB and 5,000 rows, as `crm leads import` sends them.
        let regions = ["Madrid", "Cataluña", "Andalucía", "Valencia", "Galicia", "País Vasco"]
        var chunks: [(bytes: [UInt8], firstRow: Int32)] = []
        let header = "full_name,company,emails,phones,country,region,campaign,channel,priority,annual_consumption_kwh,type\n"
        var text = header
        var firstRow = 1
        for i in 0..<rows {
            let line = "Imported Lead \(i),Company \(i % 4999),imp\(i)@bench.example,+34\(600_000_000 + i),ES,\(regions[i % regions.count]),Campaign \(i % 50),Channel \(i % 8),\(1 + i % 10),\(1000 + i % 90_000),Energy supply\n"
            if text.utf8.count + line.utf8.count > 3 * 1024 * 1024 || i - firstRow + 1 >= 5_000 {
                chunks.append((Array(text.utf8), Int32(firstRow)))
                firstRow = i + 1
                text = header
            }
            text += line
        }
        chunks.append((Array(text.utf8), Int32(firstRow)))
        start = ContinuousClock.now
        var imported = 0
        for (n, chunk) in chunks.enumerated() {
            let response = try await client.importLeads(
                LeadsV1.ImportLeadsRequest(csv: chunk.bytes, firstRowNumber: chunk.firstRow, fileName: "bench.csv"),
                options: options.with(idempotencyKey: "bench-import-\(n)"))
            imported += Int(response.created)
        }
        let importSeconds = (ContinuousClock.now - start).seconds
        guard imported == rows else { throw BenchError("the import created \(imported) of \(rows) leads") }

        // A page as a sales team's lead table shows it: one campaign's open leads in a region, newest first.
        let filter = LeadsV1.LeadFilter(regions: ["Madrid"], campaigns: ["Campaign 6"], states: [.pending])
        var pages: [Double] = []
        var total: Int64 = 0
        for _ in 0..<200 {
            let t = ContinuousClock.now
            let page = try await client.listLeads(LeadsV1.ListLeadsRequest(filter: filter, pageSize: 50), options: options)
            pages.append((ContinuousClock.now - t).microseconds)
            total = page.totalCount
        }
        pages.sort()
        await rpc.close()
        await server.shutdown()
        let floor = try sqliteFloor(in: folder)

        func ms(_ us: Double) -> String { String(format: "%.2f ms", us / 1000) }
        let rowsText = rows.formatted()
        let importFloor = Double(rows) / floor.importRate
        let table = """
            | measurement | crm-leads | floor (C, SQLite alone, same schema) | target |
            |---|---|---|---|
            | durable creates/s, 1 client | \(String(format: "%.0f", createsOne)) | | |
            | durable creates/s, 32 clients | \(String(format: "%.0f", createsMany)) | \(String(format: "%.0f", floor.createRate)) (32 a transaction) | >= 20,000 (\(createsMany >= 20_000 ? "met" : "not met")) |
            | get by id p50 / p99 | \(ms(gets[gets.count / 2])) / \(ms(gets[gets.count * 99 / 100])) | | |
            | CSV import of \(rowsText) rows (\(chunks.count) chunks) | \(String(format: "%.1f s", importSeconds)) (\(String(format: "%.0f", Double(rows) / importSeconds)) rows/s) | \(String(format: "%.1f s", importFloor)) (\(String(format: "%.0f", floor.importRate)) rows/s) | < 15 s for 1,000,000 (\(importSeconds * 1_000_000 / Double(rows) < 15 ? "met" : "not met")) |
            | filtered page over \(next + rows) leads (\(total) match), p50 / p99 | \(ms(pages[pages.count / 2])) / \(ms(pages[pages.count * 99 / 100])) | | p50 < 5 ms (\(pages[pages.count / 2] < 5_000 ? "met" : "not met")) |

            """
        let context = "crm-leads in process, one connection over loopback, SQLite in WAL mode with synchronous=FULL (every answer after its commit is on disk), group commit. The filter: region, campaign and state, newest first, 50 per page, with the total count. The floor: crm-sqlite-floor storing the same number of leads (row, e-mail, duplicate lookup, event, history) with prepared statements in C, in a database of the service's schema, the creates 32 to a transaction, the import 25,000 to one."
        return (table, context)
    }

    /// What SQLite alone does with the service's schema on this machine (crm-sqlite-floor): the
    /// creates, then the import, into a database the service's migrations made.
    private func sqliteFloor(in folder: URL) throws -> (createRate: Double, importRate: Double) {
        let path = folder.appendingPathComponent("floor.sqlite").path
        try LeadsDatabase(path: path).close()
        let creates = try runFloorProgram("crm-sqlite-floor", [path, String(creates), "32"])
        let imports = try runFloorProgram("crm-sqlite-floor", [path, String(rows), "25000"])
        return (creates["rate"]!, imports["rate"]!)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

