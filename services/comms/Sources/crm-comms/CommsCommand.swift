import ArgumentParser
import CRMRPC
import CRMService
import CommsService
import Foundation
import CRMDomain
import Logging

/// crm-comms: templates with #tags, sending, and each lead's messages.
@main
struct CommsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-comms",
        abstract: "Serves message templates with #tags, renders and sends them to leads, and keeps each lead's messages.",
        discussion: """
            Reads leads, the lead configuration and users from crm-leads (peer.leads) with the caller's token; without it \
            those calls are UNAVAILABLE. Messages are delivered to a Maildir folder (--maildir; by default `outbox` beside \
            the database), one RFC 5322 file per message, with retries and a delivery status on each. It follows crm-activities' \
            feed (peer.activities) and mails each activity's assignee a reminder --reminder-lead-time minutes before it starts, \
            through the template named "Activity reminder".
            """)

    @OptionGroup var options: ServiceOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var maintenance: MaintenanceOptions

    @Option(help: ArgumentHelp("The Maildir folder messages are delivered to. Env: CRM_MAILDIR.", valueName: "path"))
    var maildir: String?

    @Option(help: ArgumentHelp("The From address of every message. Env: CRM_MAIL_FROM.", valueName: "address"))
    var mailFrom: String?

    @Option(help: ArgumentHelp("Deliver through this SMTP relay instead of the Maildir. Env: CRM_SMTP.", valueName: "host:port"))
    var smtp: String?

    @Flag(help: "Require STARTTLS from the SMTP relay (never send in the clear). Env: CRM_SMTP_STARTTLS=1.")
    var smtpStarttls = false

    @Option(help: ArgumentHelp("A PEM file of the certificates to trust for STARTTLS (default: the system's).", valueName: "path"))
    var smtpCaFile: String?

    @Option(help: ArgumentHelp("The SMTP login (AUTH PLAIN or LOGIN). Env: CRM_SMTP_USER.", valueName: "login"))
    var smtpUser: String?

    @Option(help: ArgumentHelp("A file holding the SMTP password. Env: CRM_SMTP_PASSWORD (the password itself).", valueName: "path"))
    var smtpPasswordFile: String?

    @Option(help: ArgumentHelp("Minutes before an activity starts that its assignee is reminded (0: no reminders). Env: CRM_REMINDER_LEAD_TIME.", valueName: "minutes"))
    var reminderLeadTime: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let defaults = ServiceSettings(port: 7703, databasePath: "var/comms.sqlite", peers: ["leads": .init(host: "127.0.0.1", port: 7701), "activities": .init(host: "127.0.0.1", port: 7702)])
        let settings = try ServiceMain.settings(SettingsSources(options: options, storeOptions: store), defaults: defaults)
        if ServiceMain.maintain("crm-comms", maintenance, settings: settings) { return }
        let folder = maildir ?? environment["CRM_MAILDIR"]
            ?? URL(fileURLWithPath: settings.databasePath).deletingLastPathComponent().appendingPathComponent("outbox").path
        let from = mailFrom ?? environment["CRM_MAIL_FROM"] ?? "crm@localhost.localdomain"
        guard from.split(separator: "@").count == 2, !from.contains(" "), !from.contains("<") else {
            throw ValidationError("--mail-from: must be an address such as crm@example.com")
        }
        let leadTimeText = reminderLeadTime.map(String.init) ?? environment["CRM_REMINDER_LEAD_TIME"] ?? "60"
        guard let leadMinutes = Int(leadTimeText), (0...10_080).contains(leadMinutes) else {
            throw ValidationError("--reminder-lead-time: minutes from 0 to 10,080 (a week)")
        }
        var relay: CommsServer.SMTPSettings?
        if let address = smtp ?? environment["CRM_SMTP"] {
            let endpoint = try ServiceMain.endpoint(address, setting: "--smtp")
            var password = environment["CRM_SMTP_PASSWORD"]
            if let path = smtpPasswordFile {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("--smtp-password-file: cannot read \(path)") }
                password = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let user = smtpUser ?? environment["CRM_SMTP_USER"]
            if (user == nil) != (password == nil) { throw ValidationError("--smtp-user and the SMTP password go together") }
            relay = CommsServer.SMTPSettings(host: endpoint.host, port: endpoint.port, startTLS: smtpStarttls || environment["CRM_SMTP_STARTTLS"] == "1",
                                             caFile: smtpCaFile, username: user, password: password)
        }
        ServiceMain.bootstrap(settings)
        var logger = Logger(label: "crm-comms")
        logger.logLevel = settings.logLevel
        let server = try ServiceMain.start("crm-comms") {
            let token = try CommsServer.serviceToken(secret: settings.authSecret)
            let leads = settings.peers["leads"].map { LeadsReader.rpc(RPCClient(host: $0.host, port: $0.port), serviceToken: token) } ?? .unconfigured
            return try CommsServer(CommsServer.Configuration(
                databasePath: settings.databasePath, authSecret: settings.authSecret, leads: leads, maildir: folder, fromAddress: from,
                activities: leadMinutes == 0 ? nil : settings.peers["activities"].map { RPCClient(host: $0.host, port: $0.port) },
                reminderLeadTime: .seconds(leadMinutes * 60), smtp: relay), logger: logger)
        }
        try await ServiceMain.serve("crm-comms", settings: settings, router: server.router(), background: server.background)
        try server.database.close()
    }
}
