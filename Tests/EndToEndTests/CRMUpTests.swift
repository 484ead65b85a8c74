import Foundation
import Synchronization
import Testing

/// `crm up` as a process of its own, its output collected as it comes.
final class StackProcess: Sendable {
    let process: Process
    private let output = LogCollector()

    init(_ crm: CLI, data: URL) throws {
        let process = Process()
        process.executableURL = ServiceProcess.productsFolder.appendingPathComponent("crm")
        process.arguments = ["up", "--data", data.path]
        process.environment = ProcessInfo.processInfo.environment.merging(crm.environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        try process.run()
        self.process = process
    }

    var text: String { output.text }

    /// Waits (at most 60 s) for `marker` in the output, or for the process to end.
    func wait(for marker: String) async -> Bool {
        for _ in 0..<6000 {
            if text.contains(marker) { return true }
            if !process.isRunning { return text.contains(marker) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Waits (at most 60 s) for the process to end, and returns its exit status.
    func exitStatus() async -> Int32? {
        for _ in 0..<6000 {
            if !process.isRunning { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

/// Service processes (crm-*) whose arguments mention `text` (the test's own temporary folder).
func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let program = arguments.first, URL(fileURLWithPath: program).lastPathComponent.hasPrefix("crm-") else { return nil }
        return arguments.contains { $0.contains(text) } ? pid : nil
    }
}

/// Ports `freePort()` has handed out in this test process: the kernel may give the same free
/// port to two probes in a row, and two services of one test (or of two tests running side by
/// side) must not be handed the same one.
private let handedOutPorts = Mutex<Set<Int>>([])

/// A TCP port nothing listens on right now, and that no other caller of this function got.
func freePort() throws -> Int {
    for _ in 0..<100 {
        let port = try probeFreePort()
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw ProcessError("no free port that was not handed out already")
}

private func probeFreePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ProcessError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("crm up runs the stack; crm drives it as a person would", .serialized, .timeLimit(.minutes(3)))
struct CRMUpTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-up-\(UUID().uuidString)")

    func cli() throws -> CLI {
        var environment = ["XDG_CONFIG_HOME": folder.appendingPathComponent("config").path, "NO_COLOR": "1"]
        // Free ports for every service this build has, so that a stack a developer runs is left alone.
        for name in ["leads", "activities", "comms", "reports"]
        where FileManager.default.isExecutableFile(atPath: ServiceProcess.productsFolder.appendingPathComponent("crm-\(name)").path) {
            environment["CRM_\(name.uppercased())_ADDRESS"] = "127.0.0.1:\(try freePort())"
        }
        return CLI(environment: environment)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test("a first session: up, log in, add, list, assign, import with a bad row, export, call, win failing closed, stop, and up again on the same data")
    func session() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let crm = try cli()
        let data = folder.appendingPathComponent("var")
        let stack = try StackProcess(crm, data: data)
        #expect(await stack.wait(for: "Ready."), "\(stack.text)")
        #expect(stack.text.contains("leads      | ") && stack.text.contains("crm-leads") && stack.text.contains("serving"))
        let password = try #require(stack.text.firstMatch(of: /the password (\w+) \(shown only this once\)/)?.1)
        let secretMode = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("auth-secret").path)[.posixPermissions] as? Int
        #expect(secretMode == 0o600)

        #expect(try await crm.run("login", "admin", input: "\(password)\n").status == 0)
        let added = try await crm.run("leads", "add", "Ana Pérez", "--company", "Acme", "--email", "ana@acme.com", "--country", "ES", "--json")
        #expect(added.status == 0, "\(added.err)")
        let ana = try json(added.out)
        let id = try #require(ana["id"] as? Int)
        #expect(ana["state"] as? String == "LIFECYCLE_STATE_PENDING")
        #expect(try await crm.run("leads", "add", "Bea Gil", "--country", "PT", "--priority", "8").status == 0)

        let filtered = try json(try await crm.run("leads", "list", "--country", "ES", "--state", "pending", "--json").out)
        #expect((filtered["leads"] as? [[String: Any]])?.compactMap { $0["full_name"] as? String } == ["Ana Pérez"])
        #expect(filtered["total_count"] as? Int == 1)
        let csv = try await crm.run("leads", "list", "--csv", "--sort=-priority")
        #expect(csv.out.hasPrefix("id,name,company,state") && csv.out.split(separator: "\r\n").dropFirst().first?.contains("Bea Gil") == true, "\(csv.out)")

        let unit = try await crm.run("units", "add", "Madrid", "--json")
        let unitID = try #require(try json(unit.out)["id"] as? Int, "\(unit.err)")
        let assigned = try await crm.run("leads", "assign", "--to-unit", String(unitID), "--country", "ES")
        #expect(assigned.status == 0 && assigned.out.contains("Assigned 1 lead to unit Madrid.") && assigned.out.split(separator: "\n").count == 1, "\(assigned.out)\(assigned.err)")
        // Filters take names: the owner by login, the status and the unit by name.
        let byName = try json(try await crm.run("leads", "list", "--owner", "admin", "--status", "new", "--assigned-unit", "Madrid", "--json").out)
        #expect(byName["total_count"] as? Int == 1, "\(byName)")
        let unknownOwner = try await crm.run("leads", "list", "--owner", "nobody")
        #expect(unknownOwner.status == 64 && unknownOwner.err.contains("--owner: no user is named \"nobody\""), "\(unknownOwner.err)")
        #expect(try await crm.run("leads", "assign", "--to-unit", String(unitID)).status == 64)  // neither ids nor a filter

        #expect(try await crm.run("leads", "start", String(id)).status == 0)
        // The prospect asks for a demo: while it is open, the lead cannot be won.
        #expect(stack.text.contains("crm-activities"))
        let demo = try await crm.run("activities", "schedule", String(id), "--type", "demo", "--subject", "Demo for Acme", "--at", "2026-12-02 10:00", "--json")
        let demoID = try #require(try json(demo.out)["id"] as? Int, "\(demo.err)")
        #expect(try json(demo.out)["lead_full_name"] as? String == "Ana Pérez")
        let win = try await crm.run("leads", "win", String(id))
        #expect(win.status == 5 && win.err.contains("activity \(demoID) (Demo for Acme"), "\(win.err)")  // refused by state
        let lose = try await crm.run("leads", "lose", String(id), "--reason", "no such reason")
        #expect(lose.status == 64 && lose.err.contains("--reason must be one of"), "\(lose.err)")
        let history = try await crm.run("leads", "history", String(id))
        #expect(history.out.contains("assigned") && history.out.contains("started"), "\(history.out)")
        // Names, not ids: the status moved from New to Qualifying, the lead went to unit Madrid.
        #expect(history.out.contains("New") && history.out.contains("Qualifying") && history.out.contains("Madrid") && !history.out.contains("status_id"), "\(history.out)")

        // Duplicates are refused unless asked for, found, and merged into the lead to keep.
        let duplicate = try await crm.run("leads", "add", "Ana P.", "--email", "ana@acme.com")
        #expect(duplicate.status == 5 && duplicate.err.contains("already exists"), "\(duplicate.err)")
        let forced = try await crm.run("leads", "add", "Ana P.", "--email", "ANA@acme.com", "--phone", "+34 600 000 001", "--allow-duplicate", "--json")
        let duplicateID = try #require(try json(forced.out)["id"] as? Int, "\(forced.err)")
        let found = try await crm.run("leads", "duplicates", String(duplicateID))
        #expect(found.out.contains("Ana Pérez") && found.out.contains("ana@acme.com"), "\(found.out)\(found.err)")
        let merged = try json(try await crm.run("leads", "merge", String(id), String(duplicateID), "--json").out)
        #expect((merged["phones"] as? [String])?.count == 1)
        let edited = try json(try await crm.run("leads", "edit", String(id), "--company", "Acme Iberia", "--priority", "9", "--json").out)
        #expect(edited["company"] as? String == "Acme Iberia" && edited["priority"] as? Int == 9 && edited["full_name"] as? String == "Ana Pérez")
        #expect(try await crm.run("leads", "edit", String(id)).status == 64)  // nothing to change
        let assignments = try await crm.run("leads", "assignments", String(id))
        #expect(assignments.out.contains("Madrid") && !assignments.out.contains("unit \(unitID)"), "\(assignments.out)")
        let before = try #require(try json(try await crm.run("leads", "list", "--json").out)["total_count"] as? Int)

        // An import keeps the good rows and names each bad one by row and column.
        let file = folder.appendingPathComponent("leads.csv")
        try Data("full_name,email,country\nCarla Ruiz,carla@x.com,ES\nDan,not-an-email,ES\nEva Sol,eva@x.com,PT\n".utf8).write(to: file)
        let imported = try await crm.run("leads", "import", file.path)
        #expect(imported.status == 1 && imported.out.contains("Read 3 rows of leads.csv: 2 created, 1 failed."), "\(imported.out)\(imported.err)")
        #expect(imported.out.contains("2    email"), "\(imported.out)")
        let again = try await crm.run("leads", "import", file.path, "--json")
        #expect(try json(again.out)["created"] as? Int == 2 && json(again.out)["replayed"] as? Bool == true)  // the same answer: nothing created twice
        let rerun = try await crm.run("leads", "import", file.path)
        #expect(rerun.out.contains("imported before with the same options, so nothing changed"), "\(rerun.out)")
        // An upsert by e-mail updates the lead a row matches and says so.
        let changes = folder.appendingPathComponent("changes.csv")
        try Data("email,city\ncarla@x.com,Sevilla\n".utf8).write(to: changes)
        let upsert = try await crm.run("leads", "import", changes.path, "--mode", "upsert", "--match-on", "emails", "--map", "city=location")
        #expect(upsert.status == 0 && upsert.out.contains("0 created, 1 updated, 0 unchanged, 0 failed."), "\(upsert.out)\(upsert.err)")
        let same = try await crm.run("leads", "import", changes.path, "--mode", "update", "--map", "city=location")
        #expect(same.out.contains("0 created, 0 updated, 1 unchanged, 0 failed. Nothing changed."), "\(same.out)\(same.err)")
        #expect(try json(try await crm.run("leads", "list", "--json").out)["total_count"] as? Int == before + 2)

        let exported = folder.appendingPathComponent("export.csv")
        let export = try await crm.run("leads", "export", "--country", "ES", "-o", exported.path)
        #expect(export.status == 0 && export.out.contains("Exported 2 leads"), "\(export.out)\(export.err)")
        let exportedText = try String(contentsOf: exported, encoding: .utf8)
        #expect(exportedText.contains("Carla Ruiz") && exportedText.contains("Ana Pérez") && !exportedText.contains("Eva Sol"))
        let reimport = try await crm.run("leads", "import", exported.path, "--dry-run", "--allow-duplicates", "--json")
        #expect(try json(reimport.out)["failed"] as? Int == 0, "\(reimport.out)\(reimport.err)")

        // The README's web form: added, its page listed, a submission arriving as a lead.
        #expect(stack.text.contains("Web forms: http://127.0.0.1:"), "\(stack.text)")
        let formAdded = try await crm.run("forms", "add", "contact", "--name", "Contact us", "--field", "full_name", "--field", "emails",
                                          "--field", "message", "--required", "emails", "--source-type", "Web form", "--campaign", "website")
        #expect(formAdded.status == 0, "\(formAdded.err)")
        let leadsPort = try #require(crm.environment["CRM_LEADS_ADDRESS"].flatMap { Int($0.split(separator: ":").last!) })
        let formsList = try await crm.run("forms", "list")
        #expect(formsList.out.contains("http://127.0.0.1:\(leadsPort + 10)/forms/contact"), "\(formsList.out)")
        let formPage = try httpRequest("GET", port: leadsPort + 10, path: "/forms/contact")
        let formToken = try #require(formPage.body.firstMatch(of: /name="form_token" value="([^"]+)"/).map { String($0.1) }, "\(formPage.body)")
        try await Task.sleep(for: .milliseconds(3_100))
        let submitted = try httpRequest("POST", port: leadsPort + 10, path: "/forms/contact",
                                        headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                        body: Array("form_token=\(formToken)&full_name=Dora+Web&emails=dora%40example.com".utf8))
        #expect(submitted.status == 201 && submitted.body == "{\"status\":\"received\"}", "\(submitted.body)")
        let fromForm = try json(try await crm.run("leads", "list", "--campaign", "website", "--json").out)
        #expect((fromForm["leads"] as? [[String: Any]])?.compactMap { $0["full_name"] as? String } == ["Dora Web"], "\(fromForm)")

        let call = try await crm.run("call", "Leads", "GetLead", "--json", "{\"id\": \(id)}")
        #expect(try json(call.out)["full_name"] as? String == "Ana Pérez", "\(call.err)")
        let badCall = try await crm.run("call", "Leads", "GetLead", "--json", "{\"id\": \"x\"}")
        #expect(badCall.status == 64 && badCall.err.contains("id: expected a whole number"), "\(badCall.err)")
        let unknownField = try await crm.run("call", "Leads", "CreateLead", "--json", "{\"lead\": {\"nmae\": \"x\"}}")
        #expect(unknownField.status == 64 && unknownField.err.contains("lead.nmae"), "\(unknownField.err)")
        let serverRefusal = try await crm.run("call", "Leads", "CreateLead", "--json", "{\"lead\": {\"full_name\": \"\"}}")
        #expect(serverRefusal.status == 64 && serverRefusal.err.contains("lead.full_name"), "\(serverRefusal.err)")

        // The demo done, the lead is won; the weekly review lists what is overdue by Monday.
        let shown = try await crm.run("leads", "show", String(id))
        #expect(shown.out.contains("open work") && shown.out.contains("Demo for Acme"), "\(shown.out)")
        let task = try await crm.run("tasks", "add", "Send the contract", "--lead", String(id), "--due", "2026-12-04 12:00")
        #expect(task.status == 0, "\(task.err)")
        let overdueLeads = try json(try await crm.run("leads", "list", "--overdue", "--as-of", "2099-01-04 09:00", "--json").out)
        #expect((overdueLeads["leads"] as? [[String: Any]])?.contains { $0["full_name"] as? String == "Bea Gil" } == true, "\(overdueLeads)")
        #expect(try json(try await crm.run("leads", "list", "--overdue", "--json").out)["total_count"] as? Int == 0)
        let monday = try await crm.run("work", "--overdue", "--as-of", "2026-12-07 09:00")
        #expect(monday.out.contains("Send the contract") && monday.out.contains("Demo for Acme"), "\(monday.out)\(monday.err)")
        #expect(try await crm.run("activities", "complete", String(demoID), "--outcome", "Loved it").status == 0)
        let stillOpen = try await crm.run("leads", "win", String(id))
        #expect(stillOpen.status == 5 && stillOpen.err.contains("task"), "\(stillOpen.err)")
        let taskID = try #require(try json(try await crm.run("tasks", "list", "--lead", String(id), "--json").out)["tasks"] as? [[String: Any]]).first?["id"] as? Int
        #expect(try await crm.run("tasks", "complete", String(try #require(taskID))).status == 0)
        let won = try await crm.run("leads", "win", String(id), "--json")
        #expect(won.status == 0 && (try? json(won.out)["state"] as? String) == "LIFECYCLE_STATE_WON", "\(won.out)\(won.err)")
        var converted = try await crm.run("leads", "show", String(id))
        if !converted.out.contains("converted") {
            #expect(try await crm.run("leads", "convert", String(id)).status == 0)
            converted = try await crm.run("leads", "show", String(id))
        }
        #expect(converted.out.contains("converted"), "\(converted.out)")

        // A template with #tags, validated when saved, sent to the won lead, delivered into the Maildir under --data.
        let body = folder.appendingPathComponent("offer.txt")
        try Data("Hello #lead.first_name,\nyour contract for #lead.company is ready. Order #123.\n-- #sender.name\n".utf8).write(to: body)
        let badTemplate = try await crm.run("templates", "add", "Broken", "--subject", "For #lead.compnay", "--body", body.path)
        #expect(badTemplate.status == 64 && badTemplate.err.contains("#lead.compnay"), "\(badTemplate.err)")
        let template = try await crm.run("templates", "add", "Contract ready", "--subject", "Your contract, #lead.full_name", "--body", body.path, "--json")
        let templateID = try #require(try json(template.out)["id"] as? Int, "\(template.err)")
        let sent = try await crm.run("send", String(templateID), "--lead", String(id))
        #expect(sent.status == 0 && sent.out.contains("Queued 1 messages"), "\(sent.out)\(sent.err)")
        let outbox = data.appendingPathComponent("outbox/new")
        var files: [String] = []
        for _ in 0..<200 where files.isEmpty {
            files = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []
            if files.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        let mail = try String(contentsOf: outbox.appendingPathComponent(try #require(files.first, "nothing reached \(outbox.path)")), encoding: .utf8)
        #expect(mail.contains("To: <ana@acme.com>") && mail.contains("Subject: =?UTF-8?B?"), "\(mail)")
        let messages = try await crm.run("messages", "list", "--lead", String(id))
        #expect(messages.out.contains("sent") && messages.out.contains("Your contract"), "\(messages.out)")
        // A mass message by filter: refused without --yes when there is no terminal, sent with it.
        let unconfirmed = try await crm.run("send", String(templateID), "--country", "ES")
        #expect(unconfirmed.status == 64 && unconfirmed.err.contains("--yes") && unconfirmed.out.contains("Would send"), "\(unconfirmed.out)\(unconfirmed.err)")
        let mass = try await crm.run("send", String(templateID), "--country", "ES", "--yes", "--wait")
        #expect(mass.out.contains("Queued") && mass.out.contains(/Delivered (\d+) of \1 messages/), "\(mass.out)\(mass.err)")
        // A call in 20 minutes: crm-comms follows crm-activities' feed and reminds its assignee (the admin).
        let inTwenty = ISO8601DateFormatter().string(from: Date().addingTimeInterval(20 * 60))
        let cora = try #require(try json(try await crm.run("leads", "add", "Cora Díaz", "--country", "ES", "--json").out)["id"] as? Int)
        let reminderCall = try await crm.run("activities", "schedule", String(cora), "--type", "Follow-up call", "--subject", "Call Ana back", "--at", inTwenty)
        #expect(reminderCall.status == 0, "\(reminderCall.err)")
        var reminder: String?
        for _ in 0..<200 where reminder == nil {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? [] {
                let text = (try? String(contentsOf: outbox.appendingPathComponent(name), encoding: .utf8)) ?? ""
                if text.contains("To: <admin@localhost.localdomain>") { reminder = text }
            }
            if reminder == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reminder?.contains("Subject: Reminder: Call Ana back") == true, "no reminder reached \(outbox.path): \(String(describing: reminder))")
        // The delivered message is in the lead's history in crm-leads too.
        var leadHistory = ""
        for _ in 0..<100 where !leadHistory.contains("message sent") {
            leadHistory = try await crm.run("leads", "history", String(id)).out
            if !leadHistory.contains("message sent") { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(leadHistory.contains("message sent") && leadHistory.contains("Your contract"), "\(leadHistory)")

        // The manager's reports, from crm-reports' read model of both feeds.
        var pipeline = ""
        for _ in 0..<100 where !pipeline.contains("won") || !pipeline.contains("1 ") {
            pipeline = try await crm.run("reports", "pipeline").out
            if !pipeline.contains("█") { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(pipeline.contains("won") && pipeline.contains("█") && pipeline.contains("pending"), "\(pipeline)")
        var allLeads = try json(try await crm.run("reports", "all", "--country", "ES", "--sort=full_name", "--json").out)
        for _ in 0..<100 where (allLeads["rows"] as? [[String: Any]])?.contains(where: { $0["full_name"] as? String == "Cora Díaz" }) != true {
            try await Task.sleep(for: .milliseconds(50))
            allLeads = try json(try await crm.run("reports", "all", "--country", "ES", "--sort=full_name", "--json").out)
        }
        #expect((allLeads["rows"] as? [[String: Any]])?.first?["full_name"] as? String == "Ana Pérez", "\(allLeads)")
        let overdueReport = try await crm.run("reports", "overdue", "--at", "2099-01-04 09:00")
        #expect(overdueReport.out.contains("Bea Gil") && overdueReport.out.contains(" d "), "\(overdueReport.out)\(overdueReport.err)")
        let feeds = try await crm.run("reports", "status")
        #expect(feeds.out.contains("crm.leads.v1.Leads") && feeds.out.contains("crm.activities.v1.Activities"), "\(feeds.out)")
        let chartFile = folder.appendingPathComponent("pipeline.svg")
        let chart = try await crm.run("reports", "chart", "pipeline", "--style", "pie", "--svg", chartFile.path)
        let chartText = try String(contentsOf: chartFile, encoding: .utf8)
        #expect(chart.status == 0 && chartText.contains("<svg"), "\(chart.err)")
        let reportFile = folder.appendingPathComponent("all.csv")
        let reportExport = try await crm.run("reports", "export", "all", "-o", reportFile.path)
        let reportText = try String(contentsOf: reportFile, encoding: .utf8)
        #expect(reportExport.status == 0 && reportText.contains("Ana Pérez"), "\(reportExport.out)\(reportExport.err)")
        #expect(try await crm.run("reports", "chart", "all", "--svg", chartFile.path).status == 64)

        let status = try await crm.run("status", "--json")
        #expect(status.status == 0 && status.out.contains("\"serving\""), "\(status.out)\(status.err)")
        // crm up gives every service a metrics endpoint, and status says where it is.
        let metricsURL = try #require(status.out.firstMatch(of: /"metrics": "http:\/\/127\.0\.0\.1:(\d+)\/metrics"/), "\(status.out)")
        let scrape = try httpGet(port: try #require(Int(metricsURL.1)), path: "/metrics")
        #expect(scrape.status == 200 && scrape.body.contains("crm_rpc_server_calls_total{"), "\(scrape.body)")

        // SIGTERM stops every service cleanly and leaves nothing running.
        kill(stack.process.processIdentifier, SIGTERM)
        #expect(await stack.exitStatus() == 0, "\(stack.text)")
        #expect(stack.text.contains("Stopped."))
        #expect(processes(mentioning: folder.path).isEmpty)
        #expect(try await crm.run("status").status == 4)

        // Up again: the same data and the same admin, no new password.
        let second = try StackProcess(crm, data: data)
        #expect(await second.wait(for: "Ready."), "\(second.text)")
        #expect(!second.text.contains("First run"))
        #expect(try json(try await crm.run("leads", "list", "--json").out)["total_count"] as? Int == before + 4)  // with the web form's
        #expect(second.text.contains("Contact us: http://127.0.0.1:"), "\(second.text)")  // crm up lists each enabled form's page

        // A service that dies takes the others down, and says so.
        for pid in processes(mentioning: folder.path) { kill(pid, SIGKILL) }
        #expect(await second.exitStatus() == 1)
        #expect(second.text.contains(/crm-(leads|activities|comms|reports) was killed by signal 9, so every service was stopped/), "\(second.text)")
        #expect(processes(mentioning: folder.path).isEmpty)
    }

    @Test("a port already in use is reported, and nothing is left running")
    func portInUse() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let occupant = try await ServiceProcess("crm-echo")
        var crm = try cli()
        crm.environment["CRM_LEADS_ADDRESS"] = "127.0.0.1:\(occupant.port)"
        let stack = try StackProcess(crm, data: folder.appendingPathComponent("var"))
        #expect(await stack.exitStatus() == 1)
        #expect(stack.text.contains("127.0.0.1:\(occupant.port) (for crm-leads) is already in use"), "\(stack.text)")
        #expect(processes(mentioning: folder.path).isEmpty)
        #expect(await occupant.terminate() == 0)
    }
}
