import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Testing

/// crm-reports following the real crm-leads and crm-activities, on free ports.
struct ReportsStack {
    var stack: LeadsAndActivities
    var reports: ServiceProcess
    var rpcReports: RPCClient

    init() async throws {
        stack = try await LeadsAndActivities()
        reports = try await Self.startReports(stack, database: "reports.sqlite")
        rpcReports = RPCClient(host: "127.0.0.1", port: reports.port)
    }

    static func startReports(_ stack: LeadsAndActivities, database: String, port: Int? = nil, extra: [String] = []) async throws -> ServiceProcess {
        try await ServiceProcess("crm-reports", arguments: extra + [
            "--listen", "127.0.0.1:\(try port ?? freePort())",
            "--peer", "leads=127.0.0.1:\(stack.leadsPort)", "--peer", "activities=127.0.0.1:\(stack.activitiesPort)",
        ], environment: ["CRM_AUTH_SECRET": LeadsAndActivities.secret, "CRM_DATABASE": stack.folder.appendingPathComponent(database).path])
    }

    var client: ReportsV1.Reports.Client { ReportsV1.Reports.Client(rpcReports) }

    /// Waits (at most 30 s) until the reports at `client` have applied both feeds up to their heads now.
    static func caughtUp(_ client: ReportsV1.Reports.Client, _ stack: LeadsAndActivities, _ admin: CallOptions) async throws {
        let leadsHead = try await stack.leadsClient.listEvents(LeadsV1.ListEventsRequest(limit: 1), options: admin).head
        let workHead = try await stack.activitiesClient.listEvents(ActivitiesV1.ListEventsRequest(limit: 1), options: admin).head
        for _ in 0..<600 {
            if let status = try? await client.feedStatus(ReportsV1.FeedStatusRequest(), options: admin),
               status.cursors.first(where: { $0.source == "crm.leads.v1.Leads" })?.appliedSequence ?? 0 >= leadsHead,
               status.cursors.first(where: { $0.source == "crm.activities.v1.Activities" })?.appliedSequence ?? 0 >= workHead {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("crm-reports did not catch up with leads \(leadsHead) and activities \(workHead)")
    }

    /// Every row of All Leads, following the cursor.
    static func everyRow(_ client: ReportsV1.Reports.Client, _ options: CallOptions) async throws -> [ReportsV1.LeadRow] {
        var request = ReportsV1.ListLeadRowsRequest(sort: [RpcV1.SortKey(field: "lead_id")], pageSize: 37)
        var rows: [ReportsV1.LeadRow] = []
        repeat {
            let page = try await client.listAllLeads(request, options: options)
            rows += page.rows
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return rows
    }

    /// What two read models must agree on: every row, and the aggregates.
    static func snapshot(_ client: ReportsV1.Reports.Client, _ options: CallOptions) async throws -> String {
        // Overdue times are as of the moment of the call: leave them out.
        let rows = try await everyRow(client, options).map { row in
            var row = row
            row.timeOverdueMs = 0
            return row
        }
        let counts = try await client.countByTypeAndStatus(ReportsV1.CountByTypeAndStatusRequest(), options: options).counts
        let pipeline = try await client.pipeline(ReportsV1.PipelineRequest(), options: options).stages
        let load = try await client.ownerWorkload(ReportsV1.OwnerWorkloadRequest(asOf: 1_900_000_000_000), options: options).workloads
        let work = try await client.workReport(ReportsV1.WorkReportRequest(kind: .activity, groupBy: .assignee), options: options).counts
        return "\(rows)\n\(counts)\n\(pipeline)\n\(load)\n\(work)"
    }

    func stop() async {
        await rpcReports.close()
        _ = await reports.terminate()
        await stack.stop()
    }
}

@Suite("crm-reports beside the real crm-leads and crm-activities: consistency, rebuilds, faults, roles", .serialized, .timeLimit(.minutes(4)))
struct ReportsProcessTests {
    @Test("after random lead, user, configuration and activity changes the read model agrees with crm-leads and equals a rebuild")
    func consistency() async throws {
        var s = try await ReportsStack()
        let admin = try await s.stack.signIn("admin", "first-admin-pass")
        let leads = s.stack.leadsClient, directory = LeadsV1.Directory.Client(s.stack.rpcLeads)
        let ana = try await directory.createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "ana", name: "Ana", email: "ana@x.com", role: .agent, active: true), password: "password-ana-1"), options: admin)
        let anaToken = try await s.stack.signIn("ana", "password-ana-1")
        var random = SeededRandom(seed: 7)
        var ids: [Int64] = []
        for i in 0..<80 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5, _ where ids.count < 5:
                let who = Bool.random(using: &random) ? admin : anaToken
                let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                    fullName: "Lead \(i)", company: ["Acme", "Solar Ibérica", ""].randomElement(using: &random)!,
                    campaign: ["spring", "fair", ""].randomElement(using: &random)!, probability: Int32.random(in: 0...100, using: &random),
                    targetAmount: RpcV1.Money(amountMinor: Int64.random(in: 1...500, using: &random) * 100, currency: "EUR"),
                    expectedCompletionAt: 1_700_000_000_000 + Int64.random(in: 0...400, using: &random) * 86_400_000)), options: who)
                ids.append(lead.id)
            case 5, 6:
                let id = ids.randomElement(using: &random)!
                let lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: id), options: admin)
                _ = try? await leads.updateLead(LeadsV1.UpdateLeadRequest(id: id, version: lead.version, lead: LeadsV1.LeadInput(company: "Renamed \(i)"),
                                                                          updateMask: ["company"]), options: admin)
                if lead.state == .pending { _ = try? await leads.startProgress(LeadsV1.LeadActionRequest(id: id, version: lead.version + 1), options: admin) }
            case 7:
                let id = ids.randomElement(using: &random)!
                _ = try await s.stack.activitiesClient.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
                    leadId: id, typeId: 1, subject: "Call \(i)", startAt: 1_900_000_000_000, assigneeId: ana.id)), options: admin)
            case 8:
                let id = ids.randomElement(using: &random)!
                let lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: id), options: admin)
                _ = try? await leads.cancelLead(LeadsV1.LeadActionRequest(id: id, version: lead.version, reason: "no budget"), options: admin)
            default:
                let id = ids.removeLast()
                let lead = try await leads.getLead(LeadsV1.GetLeadRequest(id: id), options: admin)
                _ = try? await leads.deleteLead(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: admin)
            }
        }
        // A user and a status renamed: the rows show the new names.
        let anaNow = try await directory.getUser(LeadsV1.GetUserRequest(id: ana.id), options: admin)
        _ = try await directory.updateUser(LeadsV1.UpdateUserRequest(id: ana.id, version: anaNow.version, user: LeadsV1.UserInput(name: "Ana Ruiz"), updateMask: ["name"]), options: admin)
        let configuration = try await LeadsV1.LeadConfig.Client(s.stack.rpcLeads).getConfiguration(LeadsV1.GetConfigurationRequest(), options: admin)
        var status = try #require(configuration.statuses.first { $0.state == .inProgress })
        status.name = "Working on it"
        _ = try await LeadsV1.LeadConfig.Client(s.stack.rpcLeads).saveStatus(LeadsV1.SaveStatusRequest(status: status), options: admin)

        try await ReportsStack.caughtUp(s.client, s.stack, admin)
        let rows = try await ReportsStack.everyRow(s.client, admin)
        var expected: [LeadsV1.Lead] = []
        var request = LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .all), sort: [RpcV1.SortKey(field: "id")], pageSize: 500)
        repeat {
            let page = try await leads.listLeads(request, options: admin)
            expected += page.leads
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        #expect(rows.map(\.leadId) == expected.map(\.id))
        for (row, lead) in zip(rows, expected) {
            #expect(row.fullName == lead.fullName && row.company == lead.company && row.statusId == lead.statusId && row.state == lead.state
                    && row.targetAmount == lead.targetAmount && row.ownerId == lead.ownerId && row.updatedAt == lead.updatedAt, "lead \(lead.id)")
            if lead.ownerId == ana.id { #expect(row.ownerName == "Ana Ruiz", "lead \(lead.id)") }
            if lead.statusId == status.id { #expect(row.statusName == "Working on it") }
        }
        // Counts by state agree with crm-leads' own.
        let pipeline = try await s.client.pipeline(ReportsV1.PipelineRequest(), options: admin)
        for stage in pipeline.stages {
            let total = try await leads.listLeads(LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(view: .all, states: [stage.state]), pageSize: 1), options: admin).totalCount
            #expect(stage.count == total, "\(stage.state)")
        }
        // A second crm-reports on an empty database builds the same read model from the feeds.
        let rebuilt = try await ReportsStack.startReports(s.stack, database: "rebuilt.sqlite")
        let rebuiltClient = ReportsV1.Reports.Client(RPCClient(host: "127.0.0.1", port: rebuilt.port))
        try await ReportsStack.caughtUp(rebuiltClient, s.stack, admin)
        #expect(try await ReportsStack.snapshot(rebuiltClient, admin) == ReportsStack.snapshot(s.client, admin))
        await rebuiltClient.connection.close()
        _ = await rebuilt.terminate()

        // An export of every lead, streamed as CSV.
        var csv = Data(), counted = 0
        for try await chunk in s.client.exportReport(ReportsV1.ExportReportRequest(query: ReportsV1.ReportQuery(kind: .allLeads)), options: admin) {
            csv.append(contentsOf: chunk.data)
            counted += Int(chunk.rows)
        }
        let lines = String(decoding: csv, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(lines.first?.hasPrefix("lead_id,full_name,company") == true && lines.count == expected.count + 1 && counted == expected.count)

        // `crm-reports --rebuild` on its own database: emptied, read again, the same.
        let before = try await ReportsStack.snapshot(s.client, admin)
        let port = s.reports.port
        #expect(await s.reports.terminate() == 0)
        s.reports = try await ReportsStack.startReports(s.stack, database: "reports.sqlite", port: port, extra: ["--rebuild"])
        #expect(s.reports.logText.contains("rebuilding"))
        try await ReportsStack.caughtUp(s.client, s.stack, admin)
        #expect(try await ReportsStack.snapshot(s.client, admin) == before)
        await s.stop()
    }

    @Test("kill -9 while a burst is applied, then a restart: nothing lost or doubled; crm-leads down and back: the reports answer meanwhile and catch up")
    func faults() async throws {
        var s = try await ReportsStack()
        let admin = try await s.stack.signIn("admin", "first-admin-pass")
        let leads = s.stack.leadsClient
        for i in 0..<300 {
            _ = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "Burst \(i)", targetAmount: RpcV1.Money(amountMinor: 100, currency: "EUR"))), options: admin)
            if i == 150 { kill(s.reports.process.processIdentifier, SIGKILL) }
        }
        s.reports.process.waitUntilExit()
        let port = s.reports.port
        s.reports = try await ReportsStack.startReports(s.stack, database: "reports.sqlite", port: port)
        // While it catches up, every answer says how far it has got, and FeedStatus how far behind.
        let early = try await s.client.listAllLeads(ReportsV1.ListLeadRowsRequest(pageSize: 1), options: admin)
        let behind = try await s.client.feedStatus(ReportsV1.FeedStatusRequest(), options: admin).cursors.first { $0.source == "crm.leads.v1.Leads" }
        #expect(early.asOfSequence <= (behind?.headSequence ?? 0) && behind?.lag == (behind?.headSequence ?? 0) - (behind?.appliedSequence ?? 0))
        try await ReportsStack.caughtUp(s.client, s.stack, admin)
        let rebuilt = try await ReportsStack.startReports(s.stack, database: "rebuilt.sqlite")
        let rebuiltClient = ReportsV1.Reports.Client(RPCClient(host: "127.0.0.1", port: rebuilt.port))
        try await ReportsStack.caughtUp(rebuiltClient, s.stack, admin)
        #expect(try await ReportsStack.snapshot(s.client, admin) == ReportsStack.snapshot(rebuiltClient, admin))
        let pending = try await s.client.pipeline(ReportsV1.PipelineRequest(), options: admin).stages.first { $0.state == .pending }
        #expect(pending?.count == 300 && pending?.targetAmounts == [RpcV1.Money(amountMinor: 30_000, currency: "EUR")])
        await rebuiltClient.connection.close()
        _ = await rebuilt.terminate()

        // crm-leads stops: the reports keep answering from what they have, and say the feed fails.
        let head = try await leads.listEvents(LeadsV1.ListEventsRequest(limit: 1), options: admin).head
        _ = await s.stack.leads.terminate()
        let answer = try await s.client.listAllLeads(ReportsV1.ListLeadRowsRequest(pageSize: 5), options: admin)
        #expect(answer.totalCount == 300 && answer.asOfSequence == head)
        var failing = ""
        for _ in 0..<200 where failing.isEmpty {
            failing = try await s.client.feedStatus(ReportsV1.FeedStatusRequest(), options: admin).cursors.first { $0.source == "crm.leads.v1.Leads" }?.lastError ?? ""
            if failing.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(!failing.isEmpty)
        // Back on the same port and database: a new lead reaches the reports.
        s.stack = try await s.stack.restartingLeads()
        let fresh = try await s.stack.signIn("admin", "first-admin-pass")
        let late = try await s.stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "After the outage")), options: fresh)
        try await ReportsStack.caughtUp(s.client, s.stack, fresh)
        let found = try await s.client.listAllLeads(ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(text: "outage")), options: fresh)
        #expect(found.rows.map(\.leadId) == [late.id])
        let status = try await s.client.feedStatus(ReportsV1.FeedStatusRequest(), options: fresh)
        #expect(status.cursors.allSatisfy { $0.lastError.isEmpty && $0.lag == 0 }, "\(status)")
        await s.stop()
    }

    @Test("an agent cannot list all leads and sees exactly their own in My Leads; a deactivated agent is refused")
    func roles() async throws {
        let s = try await ReportsStack()
        let admin = try await s.stack.signIn("admin", "first-admin-pass")
        let directory = LeadsV1.Directory.Client(s.stack.rpcLeads)
        let juan = try await directory.createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "juan", name: "Juan", email: "juan@x.com", role: .agent, active: true), password: "password-juan-1"), options: admin)
        let agent = try await s.stack.signIn("juan", "password-juan-1")
        let own = try await s.stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Juan's")), options: agent)
        _ = try await s.stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "The admin's")), options: admin)
        try await ReportsStack.caughtUp(s.client, s.stack, admin)
        let refused = await #expect(throws: RPCError.self) { _ = try await s.client.listAllLeads(ReportsV1.ListLeadRowsRequest(), options: agent) }
        #expect(refused?.code == .permissionDenied)
        #expect(try await s.client.listMyLeads(ReportsV1.ListLeadRowsRequest(), options: agent).rows.map(\.leadId) == [own.id])

        _ = try await directory.updateUser(LeadsV1.UpdateUserRequest(id: juan.id, version: juan.version, user: LeadsV1.UserInput(active: false), updateMask: ["active"]), options: admin)
        var code: RPCError.Code?
        for _ in 0..<100 where code == nil {
            do {
                _ = try await s.client.listMyLeads(ReportsV1.ListLeadRowsRequest(), options: agent)
                try await Task.sleep(for: .milliseconds(100))
            } catch let error as RPCError { code = error.code }
        }
        #expect(code == .unauthenticated)
        await s.stop()
    }
}

/// A seeded generator, so a random test that fails fails again.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
