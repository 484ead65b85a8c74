import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import CommsDomain
import CommsService
import Foundation
import LeadsDomain
import LeadsService
import Logging

/// crm-comms' benchmarks: rendering a 2 KB template with 10 tags beside concatenating the same
/// values by hand (the floor), and a mass message to 10,000 leads end to end (crm-leads and
/// crm-comms on loopback, the Send by filter, then delivery into the Maildir).
struct CommsBench {
    var leads: Int

    func run() async throws -> (table: String, context: String) {
        // Rendering, beside the floor.
        let tags = ["#lead.first_name", "#lead.company", "#lead.email", "#lead.phone", "#lead.country", "#lead.campaign", "#lead.status",
                    "#lead.target_amount", "#sender.name", "#today"]
        var template = ""
        var index = 0
        while template.utf8.count < 2_000 {
            template += "Some words of the offer, line \(index), for \(tags[index % tags.count]) and more text around it.\n"
            index += 1
        }
        let values = Dictionary(uniqueKeysWithValues: tags.map { ($0, "Value of \($0.dropFirst())") })
        let parsed = TemplateText(template), subject = TemplateText("Offer for #lead.company")
        let renders = 20_000
        var sink = 0
        var start = ContinuousClock.now
        for _ in 0..<renders { sink &+= Rendered(subject: subject, body: parsed, kind: .plain, values: values).body.utf8.count }
        let renderRate = Double(renders) / (ContinuousClock.now - start).seconds
        // The floor: the same text, pieces known in advance, values appended by hand.
        let pieces = parsed.pieces
        start = ContinuousClock.now
        for _ in 0..<renders {
            var out = ""
            out.reserveCapacity(2_200)
            for piece in pieces {
                switch piece {
                case .text(let t): out += t
                case .tag(let name, _): out += values[name]!
                }
            }
            sink &+= out.utf8.count
        }
        let floorRate = Double(renders) / (ContinuousClock.now - start).seconds

        // A mass message, end to end.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-bench-comms-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .warning
        let secret = String(repeating: "b", count: 40)
        let leadsServer = try LeadsServer(LeadsServer.Configuration(
            databasePath: folder.appendingPathComponent("leads.sqlite").path, authSecret: secret, passwordRounds: 1_000, openWork: OpenWorkCheck { _, _ in 0 }))
        try await leadsServer.bootstrapAdmin(login: "admin", password: "bench-password-1")
        let leadsRPCServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: leadsServer.router(), logger: logger)
        try await leadsRPCServer.start()
        let token = try CommsServer.serviceToken(secret: secret)
        let comms = try CommsServer(CommsServer.Configuration(
            databasePath: folder.appendingPathComponent("comms.sqlite").path, authSecret: secret,
            leads: .rpc(RPCClient(host: "127.0.0.1", port: leadsRPCServer.port!), serviceToken: token),
            maildir: folder.appendingPathComponent("outbox").path, fromAddress: "crm@bench.example"), logger: logger)
        let commsRPCServer = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: comms.router(), logger: logger)
        try await commsRPCServer.start()
        let leadsRPC = RPCClient(host: "127.0.0.1", port: leadsRPCServer.port!)
        let commsRPC = RPCClient(host: "127.0.0.1", port: commsRPCServer.port!)
        let login = try await LeadsV1.Auth.Client(leadsRPC).login(LeadsV1.LoginRequest(login: "admin", password: "bench-password-1"))
        let options = CallOptions(timeout: .seconds(600), metadata: Metadata(authorization: "Bearer \(login.token)"))
        // Every lead has a value for every tag of the template: none is left out for an empty one.
        var csv = "full_name,company,emails,phones,country,campaign,target_amount\n"
        for i in 0..<leads { csv += "Bench Lead \(i),Company \(i % 997),mass\(i)@bench.example,+34\(600_000_000 + i),ES,Mass,1200.50 EUR\n" }
        let imported = try await LeadsV1.Leads.Client(leadsRPC).importLeads(LeadsV1.ImportLeadsRequest(csv: Array(csv.utf8), allowDuplicates: true), options: options)
        guard imported.created == leads else {
            throw BenchError("the import created \(imported.created) of \(leads) leads: \(imported.errors.prefix(3).map(\.message))")
        }
        let client = CommsV1.Comms.Client(commsRPC)
        let created = try await client.createTemplate(CommsV1.CreateTemplateRequest(draft: CommsV1.TemplateInput(
            name: "Mass", subject: "Offer for #lead.company", body: template, active: true)), options: options)
        start = ContinuousClock.now
        let sent = try await client.send(CommsV1.SendRequest(templateId: created.id, filter: LeadsV1.LeadFilter(campaigns: ["Mass"])), options: options)
        let queued = ContinuousClock.now - start
        guard sent.count == leads else {
            throw BenchError("the mass message went to \(sent.count) of \(leads) leads: \(sent.failures.prefix(3).map { $0.status?.message ?? "" })")
        }
        while try await comms.deliverDue() > 0 {}
        let total = ContinuousClock.now - start
        let smtp = try await smtpRound(secret: secret, token: token, leadsPort: leadsRPCServer.port!, options: options, template: template, logger: logger, folder: folder)
        await leadsRPC.close()
        await commsRPC.close()
        await commsRPCServer.shutdown()
        await leadsRPCServer.shutdown()
        try? comms.database.close()
        try? leadsServer.database.close()
        _ = sink

        var rows: [(String, String, String, String)] = [
            ("renders/s, 2 KB template with 10 tags", String(format: "%.0f", renderRate), String(format: "%.0f (concatenation)", floorRate),
             String(format: "%.2fx the floor", renderRate / floorRate)),
            ("mass message to \(sent.count) leads: queued (Send by filter)", String(format: "%.1f s", queued.seconds),
             String(format: "%.0f messages/s", Double(sent.count) / queued.seconds), ""),
            ("... and delivered into the Maildir", String(format: "%.1f s", total.seconds),
             String(format: "%.0f messages/s", Double(sent.count) / total.seconds), ""),
        ]
        if let smtp {
            rows.append(("... the same, delivered to an SMTP server on loopback (aiosmtpd)", String(format: "%.1f s", smtp.seconds),
                         String(format: "%.0f messages/s", Double(sent.count) / smtp.seconds), ""))
        }
        var table = "| measurement | crm-comms | beside | ratio |\n|---|---|---|---|\n"
        for row in rows { table += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
        let context = "Rendering in process; the mass message through crm-leads and crm-comms on loopback (durable stores), each message read as the caller may see it, rendered, stored with its event in the answering transaction, then composed as RFC 5322 and written (fsync, rename) into the Maildir."
        return (table, context)
    }

    /// The same mass message through a second crm-comms that delivers by SMTP to aiosmtpd on
    /// loopback, when python3 has aiosmtpd (scripts/setup installs it); nil otherwise.
    private func smtpRound(secret: String, token: @escaping @Sendable () -> String, leadsPort: Int, options: CallOptions, template: String,
                           logger: Logger, folder: URL) async throws -> Duration? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("services/comms/Tests/CommsServiceTests/Resources/smtp_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "ok", folder.appendingPathComponent("smtp-received").path]
        let out = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = stdin
        guard (try? process.run()) != nil else { return nil }
        defer {
            try? stdin.fileHandleForWriting.close()
            process.terminate()
        }
        let first = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard first.hasPrefix("READY "), let port = Int(first.dropFirst(6).prefix { $0.isNumber }) else { return nil }
        let comms = try CommsServer(CommsServer.Configuration(
            databasePath: folder.appendingPathComponent("comms-smtp.sqlite").path, authSecret: secret,
            leads: .rpc(RPCClient(host: "127.0.0.1", port: leadsPort), serviceToken: token),
            maildir: folder.appendingPathComponent("unused").path, fromAddress: "crm@bench.example",
            smtp: CommsServer.SMTPSettings(host: "127.0.0.1", port: port)), logger: logger)
        defer { try? comms.database.close() }
        let server = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: comms.router(), logger: logger)
        try await server.start()
        let rpc = RPCClient(host: "127.0.0.1", port: server.port!)
        let client = CommsV1.Comms.Client(rpc)
        let created = try await client.createTemplate(CommsV1.CreateTemplateRequest(draft: CommsV1.TemplateInput(
            name: "Mass", subject: "Offer for #lead.company", body: template, active: true)), options: options)
        let start = ContinuousClock.now
        _ = try await client.send(CommsV1.SendRequest(templateId: created.id, filter: LeadsV1.LeadFilter(campaigns: ["Mass"])), options: options)
        while try await comms.deliverDue() > 0 {}
        let elapsed = ContinuousClock.now - start
        await rpc.close()
        await server.shutdown()
        return elapsed
    }
}
