import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Testing

/// crm-leads and crm-activities as real processes that know each other, on free ports.
struct LeadsAndActivities {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-activities-e2e-\(UUID().uuidString)")
    let leadsPort: Int
    let activitiesPort: Int
    var leads: ServiceProcess
    var activities: ServiceProcess
    let rpcLeads: RPCClient
    let rpcActivities: RPCClient
    static let secret = String(repeating: "e", count: 48)

    let metricsPort: Int

    init() async throws {
        leadsPort = try freePort()
        activitiesPort = try freePort()
        metricsPort = try freePort()
        leads = try await Self.startLeads(folder, port: leadsPort, activitiesPort: activitiesPort)
        activities = try await Self.startActivities(folder, leadsPort: leadsPort, port: activitiesPort, metricsPort: metricsPort)
        rpcLeads = RPCClient(host: "127.0.0.1", port: leadsPort)
        rpcActivities = RPCClient(host: "127.0.0.1", port: activitiesPort)
    }

    static func startLeads(_ folder: URL, port: Int, activitiesPort: Int) async throws -> ServiceProcess {
        try await ServiceProcess("crm-leads", arguments: [
            "--password-rounds", "1000", "--listen", "127.0.0.1:\(port)", "--peer", "activities=127.0.0.1:\(activitiesPort)",
        ], environment: [
            "CRM_AUTH_SECRET": secret, "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path, "CRM_ADMIN_PASSWORD": "first-admin-pass",
        ])
    }

    /// The same stack with crm-leads started again on its port and database (after it was stopped).
    func restartingLeads() async throws -> LeadsAndActivities {
        var next = self
        next.leads = try await Self.startLeads(folder, port: leadsPort, activitiesPort: activitiesPort)
        return next
    }

    static func startActivities(_ folder: URL, leadsPort: Int, port: Int, metricsPort: Int? = nil) async throws -> ServiceProcess {
        let metrics = metricsPort.map { ["--metrics-listen", "127.0.0.1:\($0)"] } ?? []
        return try await ServiceProcess("crm-activities", arguments: ["--listen", "127.0.0.1:\(port)", "--peer", "leads=127.0.0.1:\(leadsPort)"] + metrics, environment: [
            "CRM_AUTH_SECRET": secret, "CRM_DATABASE": folder.appendingPathComponent("activities.sqlite").path,
        ])
    }

    func signIn(_ login: String, _ password: String) async throws -> CallOptions {
        let answer = try await LeadsV1.Auth.Client(rpcLeads).login(LeadsV1.LoginRequest(login: login, password: password))
        return CallOptions(timeout: .seconds(10), metadata: Metadata(authorization: "Bearer \(answer.token)"))
    }

    var leadsClient: LeadsV1.Leads.Client { LeadsV1.Leads.Client(rpcLeads) }
    var activitiesClient: ActivitiesV1.Activities.Client { ActivitiesV1.Activities.Client(rpcActivities) }

    func stop() async {
        await rpcLeads.close()
        await rpcActivities.close()
        _ = await activities.terminate()
        _ = await leads.terminate()
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite("crm-activities beside the real crm-leads: the closing rule both ways, visibility, accounts, failing closed", .serialized, .timeLimit(.minutes(2)))
struct ActivitiesProcessTests {
    @Test("a lead with an open activity or task cannot be won, lost or cancelled; once each is closed it can")
    func closingRule() async throws {
        let stack = try await LeadsAndActivities()
        let admin = try await stack.signIn("admin", "first-admin-pass")
        let leads = stack.leadsClient, work = stack.activitiesClient
        var lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana Pérez", company: "Acme", emails: ["ana@acme.com"])), options: admin)
        lead = try await leads.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: admin)
        let demo = try await work.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
            leadId: lead.id, typeId: 1, subject: "Demo for Acme", startAt: 1_900_000_000_000)), options: admin)
        #expect(demo.leadFullName == "Ana Pérez" && demo.leadEmail == "ana@acme.com")
        let task = try await work.createTask(ActivitiesV1.CreateTaskRequest(task: ActivitiesV1.TaskInput(title: "Send the offer", leadId: lead.id)), options: admin)

        for close in [
            { try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin) },
            { try await leads.loseLead(LeadsV1.LoseLeadRequest(id: lead.id, version: lead.version, lostReasonId: 4), options: admin) },
            { try await leads.cancelLead(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version, reason: "gone"), options: admin) },
        ] as [() async throws -> LeadsV1.Lead] {
            let refused = await #expect(throws: RPCError.self) { _ = try await close() }
            #expect(refused?.code == .failedPrecondition, "\(String(describing: refused))")
            #expect(refused?.message.contains("activity \(demo.id) (Demo for Acme") == true && refused?.message.contains("task \(task.id) (Send the offer)") == true)
        }
        _ = try await work.completeActivity(ActivitiesV1.CloseRequest(id: demo.id, version: demo.version, outcome: "Loved it"), options: admin)
        let stillTask = await #expect(throws: RPCError.self) { _ = try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin) }
        #expect(stillTask?.code == .failedPrecondition && stillTask?.message.contains("task \(task.id)") == true)
        _ = try await work.deleteTask(ActivitiesV1.CloseRequest(id: task.id), options: admin)
        let won = try await leads.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin)
        #expect(won.state == .won)

        // What happened is on the metrics endpoint, scraped as Prometheus would.
        let scrape = try httpGet(port: stack.metricsPort, path: "/metrics")
        #expect(scrape.status == 200)
        for expected in [
            #"crm_rpc_server_calls_total{method="/crm.activities.v1.Activities/GetOpenWork",code="OK"} 5"#,
            #"crm_rpc_server_call_duration_bucket{method="/crm.activities.v1.Activities/ScheduleActivity",le="#,
            "crm_rpc_server_calls_in_flight ", "crm_group_commit_calls_count ", "crm_database_bytes ",
        ] {
            #expect(scrape.body.contains(expected), "\(expected) is missing from:\n\(scrape.body)")
        }
        #expect(try httpGet(port: stack.metricsPort, path: "/").status == 404)
        #expect(try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).state == .won)
        await stack.stop()
    }

    @Test("an agent schedules only on leads they may see; a deactivated agent is refused within seconds; the feed streams each change")
    func visibilityAccountsAndFeed() async throws {
        let stack = try await LeadsAndActivities()
        let admin = try await stack.signIn("admin", "first-admin-pass")
        let directory = LeadsV1.Directory.Client(stack.rpcLeads)
        let user = try await directory.createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "juan", name: "Juan", email: "juan@x.com", role: .agent, active: true), password: "password-juan-1"), options: admin)
        let agent = try await stack.signIn("juan", "password-juan-1")
        let hidden = try await stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Hidden")), options: admin)
        let own = try await stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Own")), options: agent)

        var feed = stack.activitiesClient.watchEvents(ActivitiesV1.WatchEventsRequest(after: 0), options: admin).makeAsyncIterator()
        let notVisible = await #expect(throws: RPCError.self) {
            _ = try await stack.activitiesClient.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
                leadId: hidden.id, typeId: 2, subject: "Call", startAt: 1_900_000_000_000)), options: agent)
        }
        #expect(notVisible?.code == .notFound)
        let call = try await stack.activitiesClient.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
            leadId: own.id, typeId: 2, subject: "Call", startAt: 1_900_000_000_000)), options: agent)
        let event = try await feed.next()
        #expect(event?.type == .created && event?.entity?.id == call.id && event?.sequence == 1)
        let notForAgents = await #expect(throws: RPCError.self) { _ = try await stack.activitiesClient.listEvents(ActivitiesV1.ListEventsRequest(), options: agent) }
        #expect(notForAgents?.code == .permissionDenied)

        _ = try await directory.updateUser(LeadsV1.UpdateUserRequest(id: user.id, version: user.version, user: LeadsV1.UserInput(active: false), updateMask: ["active"]), options: admin)
        var refused: RPCError?
        for _ in 0..<100 where refused == nil {
            do {
                _ = try await stack.activitiesClient.getActivity(ActivitiesV1.GetRequest(id: call.id), options: agent)
                try await Task.sleep(for: .milliseconds(100))
            } catch let error as RPCError {
                refused = error
            }
        }
        #expect(refused?.code == .unauthenticated, "\(String(describing: refused))")
        await stack.stop()
    }

    @Test("each fails closed without the other: no lead is closed and no work scheduled unchecked")
    func failsClosed() async throws {
        var stack = try await LeadsAndActivities()
        let admin = try await stack.signIn("admin", "first-admin-pass")
        var lead = try await stack.leadsClient.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana")), options: admin)
        lead = try await stack.leadsClient.startProgress(LeadsV1.LeadActionRequest(id: lead.id, version: lead.version), options: admin)
        #expect(await stack.activities.terminate() == 0)
        let down = await #expect(throws: RPCError.self) { _ = try await stack.leadsClient.winLead(LeadsV1.WinLeadRequest(id: lead.id, version: lead.version), options: admin) }
        #expect(down?.code == .unavailable)
        #expect(try await stack.leadsClient.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin).state == .inProgress)

        stack.activities = try await LeadsAndActivities.startActivities(stack.folder, leadsPort: stack.leadsPort, port: stack.activitiesPort)
        #expect(await stack.leads.terminate() == 0)
        let noLeads = await #expect(throws: RPCError.self) {
            _ = try await stack.activitiesClient.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: ActivitiesV1.ActivityInput(
                leadId: lead.id, typeId: 1, subject: "Demo", startAt: 1_900_000_000_000)), options: admin)
        }
        #expect(noLeads?.code == .unavailable, "\(String(describing: noLeads))")
        await stack.stop()
    }

    @Test("garbage and empty requests to every crm-activities method get a clear status, never INTERNAL, and change nothing")
    func badInputEverywhere() async throws {
        let stack = try await LeadsAndActivities()
        let admin = try await stack.signIn("admin", "first-admin-pass")
        let garbage: [UInt8] = [0x0F, 0xFF, 0x12, 0xFF, 0xFF]
        for method in ActivitiesV1.Activities.Method.all {
            for options in [CallOptions(timeout: .seconds(10)), admin] {
                let error = await #expect(throws: RPCError.self, "\(method.path)") { try await Self.call(stack.rpcActivities, method, RawMessage(garbage), options) }
                #expect([.invalidArgument, .unauthenticated].contains(error?.code), "\(method.path): \(String(describing: error))")
            }
            guard method.kind == .unary else { continue }
            do {
                try await Self.call(stack.rpcActivities, method, RawMessage(), admin)
            } catch let error as RPCError {
                #expect(![.internal, .unknown, .unimplemented, .dataLoss].contains(error.code), "\(method.path): \(error)")
            }
        }
        #expect(try await stack.activitiesClient.listEvents(ActivitiesV1.ListEventsRequest(), options: admin).head == 0)
        await stack.stop()
    }

    static func call(_ rpc: RPCClient, _ method: MethodDescriptor, _ request: RawMessage, _ options: CallOptions) async throws {
        if method.kind == .unary {
            let _: RawMessage = try await rpc.unary(method, request: request, options: options)
        } else {
            for try await _ in rpc.serverStreaming(method, request: request, options: options) as ResponseStream<RawMessage> {}
        }
    }
}
