import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import Logging
import ReportsService

/// crm-reports' benchmarks at a million leads: the catch-up rate (a million created events
/// applied a thousand per transaction, as the follower applies a ListEvents batch) beside SQLite
/// alone writing the same rows in the same schema (crm-reports-floor); then, through a real
/// server on loopback, each aggregate's p50, All Leads pages filtered on one column and sorted
/// on another (p50 and p99), and an export of every lead (rows/s).
struct ReportsBench {
    var leads: Int

    static let countries = ["ES", "PT", "FR", "IT", "DE", "GB", "IE", "NL", "BE", "MX"]
    static let base: Int64 = 1_767_225_600_000
    static let day: Int64 = 86_400_000

    /// Lead i, as crm-reports-floor writes it (keep the two in step).
    static func lead(_ i: Int64) -> LeadsV1.Lead {
        let status = 1 + i % 5, owner = 1 + i % 20, assignee = i % 3 == 0 ? 0 : 1 + (i * 7) % 20
        let created = base - (i % 365) * day
        let states: [LeadsV1.LifecycleState] = [.pending, .inProgress, .won, .lost, .cancelled]
        return LeadsV1.Lead(
            id: i, fullName: "Bench Lead \(i)", company: "Company \(i % 997)", emails: ["lead\(i)@bench.example"], country: countries[Int((i &* 2_654_435_761 >> 7) % 10)],
            postalCode: String(format: "%05d", (i * 7919) % 52000), campaign: "Campaign \(i % 50)", sourceTypeId: 7, typeId: 1, statusId: status,
            state: states[Int(status - 1)], priority: 5, importance: 4, probability: Int32(i % 101),
            targetAmount: i % 100 == 0 ? nil : RpcV1.Money(amountMinor: (i % 100) * 10_000, currency: "EUR"), ownerId: owner, assignedUserId: assignee,
            expectedCompletionAt: created + 30 * day, version: 1, createdAt: created, updatedAt: created)
    }

    static let configuration = LeadsV1.Configuration(
        statuses: [
            LeadsV1.LeadStatus(id: 1, name: "New", state: .pending), LeadsV1.LeadStatus(id: 2, name: "Qualifying", state: .inProgress),
            LeadsV1.LeadStatus(id: 3, name: "Won", state: .won), LeadsV1.LeadStatus(id: 4, name: "Lost", state: .lost),
            LeadsV1.LeadStatus(id: 5, name: "Cancelled", state: .cancelled),
        ],
        types: [LeadsV1.LeadType(id: 1, name: "Standard")], catalog: [LeadsV1.CatalogItem(id: 7, kind: .sourceType, name: "Web form")])

    func run() async throws -> (table: String, context: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-bench-reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // CRM_BENCH_KEEP=1 keeps the read model for a look at its query plans.
        defer { if ProcessInfo.processInfo.environment["CRM_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(at: folder) } else { print("kept \(folder.path)") } }
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .warning
        let secret = String(repeating: "b", count: 40)
        let path = folder.appendingPathComponent("reports.sqlite").path, floorPath = folder.appendingPathComponent("floor.sqlite").path

        // The schema, migrated by the service's code, for the floor.
        try ReportsServer(ReportsServer.Configuration(databasePath: floorPath, authSecret: secret, leads: nil, activities: nil)).database.close()
        let server = try ReportsServer(ReportsServer.Configuration(databasePath: path, authSecret: secret, leads: nil, activities: nil,
                                                                   accounts: { claimed, _ in claimed }))
        let users = (1...20).map { LeadsV1.LeadEvent(type: .userChanged, entityId: Int64($0), user: LeadsV1.User(id: Int64($0), login: "u\($0)", name: "User \($0)", role: .agent, active: true)) }
        try await server.apply(leadEvents: users.enumerated().map { i, e in var e = e; e.sequence = Int64(i + 1); return e }, configuration: Self.configuration)

        // Catch-up: a million created events, a thousand per transaction.
        let batch = 1_000
        var sequence = Int64(users.count)
        var applying = Duration.zero
        for first in stride(from: 1, through: leads, by: batch) {
            // Made outside the clock: the events arrive decoded from the feed.
            let events = (first..<min(first + batch, leads + 1)).map { i -> LeadsV1.LeadEvent in
                sequence += 1
                return LeadsV1.LeadEvent(sequence: sequence, type: .created, entityId: Int64(i), lead: Self.lead(Int64(i)))
            }
            let start = ContinuousClock.now
            try await server.apply(leadEvents: events)
            applying += ContinuousClock.now - start
        }
        let ourRate = Double(leads) / applying.seconds
        let floorRate = try runFloorProgram("crm-reports-floor", [floorPath, String(leads), String(batch)])["rate"]!
        // As the follower does every 50,000 rows applied.
        try await server.refreshStatistics()

        // The reports over the million, through a real server.
        let rpcServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: server.router(), logger: logger)
        try await rpcServer.start()
        let rpc = RPCClient(host: "127.0.0.1", port: rpcServer.port!)
        let signer = try TokenSigner(secret: secret)
        let now = WallClock.system.millis()
        let token = signer.sign(TokenSigner.Claims(caller: Caller(userID: 1, role: .salesManager, unitID: 0), issuedAt: now, expiresAt: now + 3_600_000))
        let options = CallOptions(timeout: .seconds(600), metadata: Metadata(authorization: "Bearer \(token)"))
        let client = ReportsV1.Reports.Client(rpc)

        func timed(_ count: Int, _ body: () async throws -> Void) async throws -> [Double] {
            for _ in 0..<3 { try await body() }
            var samples: [Double] = []
            for _ in 0..<count {
                let t = ContinuousClock.now
                try await body()
                samples.append((ContinuousClock.now - t).seconds * 1000)
            }
            return samples.sorted()
        }
        let yearRange = RpcV1.TimeRange(fromMs: Self.base - 180 * Self.day, toMs: Self.base)
        let aggregates: [(String, () async throws -> Void)] = [
            ("CountByTypeAndStatus", { _ = try await client.countByTypeAndStatus(ReportsV1.CountByTypeAndStatusRequest(), options: options) }),
            ("Pipeline", { _ = try await client.pipeline(ReportsV1.PipelineRequest(), options: options) }),
            ("ConversionRates by campaign, 180 days", { _ = try await client.conversionRates(ReportsV1.ConversionRatesRequest(groupBy: .campaign, created: yearRange), options: options) }),
            ("ConversionRates by owner, all time", { _ = try await client.conversionRates(ReportsV1.ConversionRatesRequest(groupBy: .owner), options: options) }),
            ("OwnerWorkload", { _ = try await client.ownerWorkload(ReportsV1.OwnerWorkloadRequest(), options: options) }),
        ]
        var rows: [(String, String, String, String)] = [
            ("catch-up, events/s (1,000 per transaction)", String(format: "%.0f", ourRate), String(format: "%.0f", floorRate),
             String(format: "%.2fx the floor (>= 0.7x: %@)", ourRate / floorRate, ourRate >= 0.7 * floorRate ? "met" : "not met")),
        ]
        for (name, call) in aggregates {
            let samples = try await timed(50, call)
            let p50 = samples[samples.count / 2]
            rows.append(("\(name) p50", String(format: "%.2f ms", p50), "", String(format: "< 10 ms: %@", p50 < 10 ? "met" : "not met")))
        }

        // All Leads: one filter on a column, a sort on another.
        let pages: [(String, ReportsV1.ListLeadRowsRequest)] = [
            ("country = IT, by target amount desc", .init(filter: LeadsV1.LeadFilter(countries: ["IT"]), sort: [RpcV1.SortKey(field: "target_amount", descending: true)])),
            ("campaign = Campaign 7, by name", .init(filter: LeadsV1.LeadFilter(campaigns: ["Campaign 7"]), sort: [RpcV1.SortKey(field: "full_name")])),
            ("status = Qualifying, newest first", .init(filter: LeadsV1.LeadFilter(statusIds: [2]), sort: [RpcV1.SortKey(field: "created_at", descending: true)])),
            ("owner = 3, by company", .init(filter: LeadsV1.LeadFilter(ownerIds: [3]), sort: [RpcV1.SortKey(field: "company")])),
            ("postal code 28*, by owner name", .init(filter: LeadsV1.LeadFilter(postalCodes: ["28*"]), sort: [RpcV1.SortKey(field: "owner_name")])),
            ("text \"lead 123456\", by created", .init(filter: LeadsV1.LeadFilter(text: "lead 123456"), sort: [RpcV1.SortKey(field: "created_at")])),
            ("no filter, by expected completion", .init(sort: [RpcV1.SortKey(field: "expected_completion_at")])),
            ("created in 30 days, by status name", .init(filter: LeadsV1.LeadFilter(created: RpcV1.TimeRange(fromMs: Self.base - 30 * Self.day, toMs: Self.base)),
                                                         sort: [RpcV1.SortKey(field: "status_name")])),
        ]
        var all: [Double] = []
        var worst = (name: "", p99: 0.0)
        for (name, request) in pages {
            var page = request
            page.pageSize = 50
            // The first page and the next, by the cursor.
            let samples = try await timed(30) {
                let first = try await client.listAllLeads(page, options: options)
                var next = page
                next.pageToken = first.nextPageToken
                if !next.pageToken.isEmpty { _ = try await client.listAllLeads(next, options: options) }
            }.map { $0 / 2 }
            all += samples
            let p99 = samples[samples.count * 99 / 100]
            print(String(format: "  %@: p50 %.2f ms, p99 %.2f ms", name, samples[samples.count / 2], p99))
            if p99 > worst.p99 { worst = (name, p99) }
        }
        all.sort()
        let pageP50 = all[all.count / 2], pageP99 = all[all.count * 99 / 100]
        rows.append(("All Leads page, one filter + another sort, p50", String(format: "%.2f ms", pageP50), "", "\(pages.count) filter/sort pairs"))
        rows.append(("All Leads page, p99", String(format: "%.2f ms", pageP99), "", String(format: "< 20 ms: %@ (slowest: %@, p99 %.1f ms)",
                                                                                          pageP99 < 20 ? "met" : "not met", worst.name, worst.p99)))

        // An export of every lead.
        let exportStart = ContinuousClock.now
        var exported = 0
        for try await chunk in client.exportReport(ReportsV1.ExportReportRequest(query: ReportsV1.ReportQuery(kind: .allLeads)), options: options) {
            exported += Int(chunk.rows)
        }
        let exportRate = Double(exported) / (ContinuousClock.now - exportStart).seconds
        rows.append(("ExportReport of every lead, rows/s", String(format: "%.0f", exportRate), "", "\(exported) rows"))
        await rpc.close()
        await rpcServer.shutdown()
        try server.database.close()

        var table = "| measurement | crm-reports | floor (C, SQLite alone, same schema) | ratio or target |\n|---|---|---|---|\n"
        for row in rows { table += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
        let context = "\(leads) leads. Catch-up applies created events in process (the follower's write path: row, names, text index, aggregates, cursor; the feed's network read is not in it); the reports are called over loopback as a sales manager."
        return (table, context)
    }
}
