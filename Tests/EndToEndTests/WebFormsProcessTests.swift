import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Testing

/// crm-leads with its web forms listener, as a website's visitors (and bots) reach it over HTTP.
@Suite("web forms: crm-leads' HTTP listener as a website's visitors and bots reach it", .serialized, .timeLimit(.minutes(3)))
struct WebFormsProcessTests {
    static let secret = String(repeating: "w", count: 48)

    /// A running crm-leads with forms on `formsPort`, signed in as its admin.
    struct Stack {
        let service: ServiceProcess
        let formsPort: Int
        let metricsPort: Int
        let rpc: RPCClient
        let admin: CallOptions
        let folder: URL

        static func start(rate: Int = 20) async throws -> Stack {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-forms-e2e-\(UUID().uuidString)")
            let formsPort = try freePort(), metricsPort = try freePort()
            let service = try await ServiceProcess("crm-leads", arguments: [
                "--password-rounds", "1000", "--forms-listen", "127.0.0.1:\(formsPort)", "--forms-rate", String(rate),
                "--metrics-listen", "127.0.0.1:\(metricsPort)",
            ], environment: [
                "CRM_AUTH_SECRET": secret, "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path, "CRM_ADMIN_PASSWORD": "first-admin-pass",
            ])
            let rpc = RPCClient(host: "127.0.0.1", port: service.port)
            let login = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass"))
            let stack = Stack(service: service, formsPort: formsPort, metricsPort: metricsPort, rpc: rpc, admin: CallOptions(metadata: Metadata(authorization: "Bearer \(login.token)")), folder: folder)
            // The listener starts beside the RPC server.
            for _ in 0..<100 {
                if (try? stack.get("/forms")) != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return stack
        }

        /// Stops the process if a failed expectation left it running.
        func kill() {
            if service.process.isRunning { service.process.terminate() }
            try? FileManager.default.removeItem(at: folder)
        }

        func stop() async {
            await rpc.close()
            _ = await service.terminate()
            try? FileManager.default.removeItem(at: folder)
        }

        func get(_ path: String) throws -> HTTPAnswer { try httpRequest("GET", port: formsPort, path: path) }

        func post(_ path: String, _ fields: [(String, String)], json: Bool = false) throws -> HTTPAnswer {
            try httpRequest("POST", port: formsPort, path: path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + (json ? [("Accept", "application/json")] : []),
                            body: Array(urlEncoded(fields).utf8))
        }

        /// The hidden signed time of a freshly served page.
        func token(_ publicID: String) throws -> String {
            let page = try get("/forms/\(publicID)")
            return try #require(page.body.firstMatch(of: /name="form_token" value="([^"]+)"/).map { String($0.1) }, "\(page.body)")
        }

        var leads: LeadsV1.Leads.Client { LeadsV1.Leads.Client(rpc) }

        func allLeads() async throws -> [LeadsV1.Lead] {
            try await leads.listLeads(LeadsV1.ListLeadsRequest(sort: [RpcV1.SortKey(field: "id")]), options: admin).leads
        }
    }

    static func urlEncoded(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    /// A contact form whose leads are Energy supply leads from the web, for campaign "spring".
    func contactForm(_ stack: Stack, minFill: Int32 = 1) async throws -> LeadsV1.WebForm {
        try await LeadsV1.Forms.Client(stack.rpc).createForm(LeadsV1.CreateFormRequest(form: LeadsV1.WebForm(
            publicId: "contact", name: "Contact \"us\" <now>",
            fields: [LeadsV1.FormField(field: "full_name", required: true), LeadsV1.FormField(field: "company"),
                     LeadsV1.FormField(field: "emails", label: "Your e-mail", required: true), LeadsV1.FormField(field: "phones"),
                     LeadsV1.FormField(field: "cups"), LeadsV1.FormField(field: "message")],
            typeId: 2, sourceTypeId: 10, source: "website", campaign: "spring", channel: "web", hostedPage: true, minFillSeconds: minFill)), options: stack.admin)
    }

    @Test("a submission creates exactly the lead expected; a duplicate adds a note; honeypot, too-fast, flood, oversize and unknown forms create nothing; all counted")
    func submissions() async throws {
        let stack = try await Stack.start(rate: 8)
        defer { stack.kill() }
        let directory = LeadsV1.Directory.Client(stack.rpc)
        let unit = try await directory.createUnit(LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: "Web desk", kind: .channel, active: true)), options: stack.admin)
        _ = try await stack.leads.saveAssignmentRule(LeadsV1.SaveAssignmentRuleRequest(rule: LeadsV1.AssignmentRule(
            name: "web leads", position: 1, condition: LeadsV1.RuleCondition(campaigns: ["spring"]), unitId: unit.id, active: true)), options: stack.admin)
        let form = try await contactForm(stack)

        // The hosted page: every field labelled, required ones marked, the names escaped, UTF-8.
        let page = try stack.get("/forms/contact")
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.body.contains("<title>Contact &quot;us&quot; &lt;now&gt;</title>") && !page.body.contains("<now>"))
        #expect(page.body.contains("<label for=\"f-emails\">Your e-mail *</label>") && page.body.contains("type=\"email\" id=\"f-emails\" name=\"emails\" required"))
        #expect(page.body.contains("<textarea id=\"f-message\" name=\"message\"") && page.body.contains("name=\"website\" tabindex=\"-1\""))
        let token = try stack.token("contact")

        // Too fast: sent at once with the page's own token.
        let early = try stack.post("/forms/contact", [("full_name", "Quick Bot"), ("emails", "bot@x.com"), ("form_token", token)])
        #expect(early.status == 422 && early.body.contains("sooner than a person"), "\(early.body)")
        try await Task.sleep(for: .milliseconds(1_100))

        // A person, with hostile but valid values.
        let name = "Zoë O'Brien \"<script>alert(1)</script>\" مرحبا"
        let message = "Line one\r\nLine two <b>bold</b> & \"quoted\"\r\n"
        let created = try stack.post("/forms/contact", [("full_name", name), ("company", "Acme & Co"), ("emails", "ZOE@x.com"), ("phones", "+34 600 111 222"),
                                                        ("message", message), ("form_token", token), ("website", ""), ("send", "Send")])
        #expect(created.status == 303 && created.headers["location"] == "/forms/contact/thanks", "\(created.status) \(created.body)")
        var leads = try await stack.allLeads()
        #expect(leads.count == 1)
        let lead = try #require(leads.first)
        #expect(lead.fullName == name && lead.company == "Acme & Co" && lead.emails == ["zoe@x.com"] && lead.phones == ["+34600111222"])
        #expect(lead.typeId == 2 && lead.sourceTypeId == 10 && lead.source == "website" && lead.campaign == "spring" && lead.channel == "web")
        #expect(lead.assignedUnitId == unit.id && !lead.imported && lead.ownerId == form.ownerId)
        let notes = try await stack.leads.listNotes(LeadsV1.ListNotesRequest(leadId: lead.id), options: stack.admin).notes
        #expect(notes.map(\.text) == [message.trimmingCharacters(in: .whitespacesAndNewlines)] && notes.first?.authorName == "Web form Contact \"us\" <now>")
        let thanks = try stack.get("/forms/contact/thanks")
        #expect(thanks.status == 200 && thanks.body.contains("Thank you"))

        // The same person again: a note on the lead, not a second lead.
        let again = try stack.post("/forms/contact", [("full_name", "Zoe"), ("emails", "zoe@x.com"), ("message", "Still interested"), ("form_token", token)], json: true)
        #expect(again.status == 201 && again.body == "{\"status\":\"received\"}")
        leads = try await stack.allLeads()
        #expect(leads.count == 1)
        let noted = try await stack.leads.listNotes(LeadsV1.ListNotesRequest(leadId: lead.id), options: stack.admin).notes
        #expect(noted.count == 2 && noted.contains { $0.text.contains("Submitted again through web form") && $0.text.contains("Still interested") })

        // A bad field: 422 naming it, the values shown back escaped, nothing stored.
        let bad = try stack.post("/forms/contact", [("full_name", "<script>x</script>"), ("emails", "not-an-e-mail"), ("form_token", token)])
        #expect(bad.status == 422 && bad.body.contains("aria-invalid=\"true\" aria-describedby=\"f-emails-problem\""))
        #expect(bad.body.contains("value=\"&lt;script&gt;x&lt;/script&gt;\"") && !bad.body.contains("<script>x"))
        let badJSON = try stack.post("/forms/contact", [("full_name", "Eva"), ("form_token", token)], json: true)
        #expect(badJSON.status == 422 && badJSON.body.contains("\"field\":\"emails\"") && badJSON.body.contains("is required"))

        // A bot fills the hidden field: told it went well, nothing stored.
        let bot = try stack.post("/forms/contact", [("full_name", "Bot"), ("emails", "bot@x.com"), ("website", "http://spam"), ("form_token", token)])
        #expect(bot.status == 303)
        // A forged token, an unknown form, a body over the cap.
        #expect(try stack.post("/forms/contact", [("full_name", "Bot"), ("emails", "b2@x.com"), ("form_token", "1.00")]).status == 422)
        #expect(try stack.post("/forms/nope", [("full_name", "X")]).status == 404)
        let huge = try httpRequest("POST", port: stack.formsPort, path: "/forms/contact", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                   body: Array("full_name=\(String(repeating: "a", count: 70_000))".utf8))
        #expect(huge.status == 413)
        #expect(try await stack.allLeads().count == 1)

        // A flood from one address: past its budget, 429 with Retry-After, and nothing stored.
        var statuses: [Int] = []
        for i in 0..<6 { statuses.append(try stack.post("/forms/contact", [("full_name", "Flood \(i)"), ("emails", "flood\(i)@x.com"), ("form_token", token)]).status) }
        #expect(statuses.suffix(2) == [429, 429], "\(statuses)")
        #expect(try stack.post("/forms/contact", [("full_name", "X")]).headers["retry-after"] != nil)
        #expect(try await stack.allLeads().count == 1 + statuses.filter { $0 == 303 }.count)

        // A disabled form: 404 for its page and its submissions.
        let current = try await LeadsV1.Forms.Client(stack.rpc).getForm(LeadsV1.GetFormRequest(publicId: "contact"), options: stack.admin)
        _ = try await LeadsV1.Forms.Client(stack.rpc).disableForm(LeadsV1.DisableFormRequest(id: current.id, version: current.version), options: stack.admin)
        #expect(try stack.get("/forms/contact").status == 404)

        // Every outcome counted in the service's metrics.
        let metrics = try httpGet(port: stack.metricsPort, path: "/metrics").body
        for outcome in ["created", "noted", "invalid", "honeypot", "too_fast", "rate_limited", "too_large", "not_found"] {
            #expect(metrics.contains("crm_form_submissions_total{outcome=\"\(outcome)\"}"), "\(outcome) in \(metrics)")
        }
        #expect(metrics.contains("crm_form_pages_total"))
        await stack.stop()
    }

    @Test("in a real browser: headless Chromium opens the hosted page, fills it in, submits it, and the lead appears")
    func browser() async throws {
        let stack = try await Stack.start()
        defer { stack.kill() }
        _ = try await contactForm(stack)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/submit_form.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "http://127.0.0.1:\(stack.formsPort)/forms/contact",
                             "full_name=Lucía Fernández", "emails=lucia@example.com", "phones=+34 611 222 333", "message=Please call me", "--wait", "1.5"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // At most a minute for the browser to start, load, fill and submit.
        for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("/forms/contact/thanks") && text.contains("Thank you"), "\(text)")
        let leads = try await stack.allLeads()
        #expect(leads.map(\.fullName) == ["Lucía Fernández"] && leads.first?.emails == ["lucia@example.com"] && leads.first?.campaign == "spring")
        await stack.stop()
    }
}
