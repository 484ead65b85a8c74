import ArgumentParser
import CRMRPC
import CRMService
import Foundation
import LeadsDomain
import LeadsService
import Logging
import ServiceLifecycle

/// crm-leads: the leads service.
@main
struct LeadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-leads",
        abstract: "Serves leads, their configuration, users, units and sign-in.",
        discussion: """
            On an empty database the first admin is created from --admin-login and the password in \
            --admin-password-file or CRM_ADMIN_PASSWORD. The auth secret (at least 32 characters) \
            must be the one the other services use.
            """
    )

    @OptionGroup var options: ServiceOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var maintenance: MaintenanceOptions

    @Option(help: ArgumentHelp("The first admin's login, used only on an empty database. Env: CRM_ADMIN_LOGIN.", valueName: "login"))
    var adminLogin: String?

    @Option(help: ArgumentHelp("File holding the first admin's password, used only on an empty database. Env: CRM_ADMIN_PASSWORD (the password itself).", valueName: "path"))
    var adminPasswordFile: String?

    @Option(help: ArgumentHelp("PBKDF2 rounds for new password hashes.", valueName: "n"))
    var passwordRounds: Int = PasswordHasher.defaultRounds

    @Option(help: ArgumentHelp("Serve the web forms over HTTP here (GET and POST /forms/ID). Off unless given. Env: CRM_FORMS_LISTEN.", valueName: "host:port"))
    var formsListen: String?

    @Option(help: ArgumentHelp("Web form submissions one address may make per minute (1-1,000; default 5). Env: CRM_FORMS_RATE.", valueName: "n"))
    var formsRate: Int?

    @Option(help: ArgumentHelp("Addresses of proxies in front of the web forms (comma-separated) whose X-Forwarded-For names the visitor. Env: CRM_FORMS_TRUSTED_PROXIES.", valueName: "addresses"))
    var formsTrustedProxies: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let defaults = ServiceSettings(port: 7701, databasePath: "var/leads.sqlite", peers: ["activities": .init(host: "127.0.0.1", port: 7702)])
        let settings = try ServiceMain.settings(SettingsSources(options: options, storeOptions: store), defaults: defaults)
        if ServiceMain.maintain("crm-leads", maintenance, settings: settings) { return }
        let rateText = formsRate.map(String.init) ?? environment["CRM_FORMS_RATE"] ?? settings.file["forms-rate"] ?? "5"
        guard let rate = Int(rateText), (1...1_000).contains(rate) else { throw ValidationError("forms-rate \(rateText): must be from 1 to 1,000") }
        guard (1_000...10_000_000).contains(passwordRounds) else {
            throw ValidationError("--password-rounds: must be from 1,000 to 10,000,000")
        }
        ServiceMain.bootstrap(settings)

        let server = try ServiceMain.start("crm-leads") {
            // Winning, losing and cancelling ask crm-activities first, and fail closed without it.
            let openWork = settings.peers["activities"].map { OpenWorkCheck.activities(RPCClient(host: $0.host, port: $0.port)) } ?? .unconfigured
            var configuration = LeadsServer.Configuration(
                databasePath: settings.databasePath, authSecret: settings.authSecret, passwordRounds: passwordRounds, openWork: openWork)
            configuration.formSubmissionsPerMinute = rate
            return try LeadsServer(configuration)
        }
        if try await server.needsFirstAdmin() {
            let login = adminLogin ?? environment["CRM_ADMIN_LOGIN"] ?? "admin"
            let password: String
            if let path = adminPasswordFile {
                password = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } else if let value = environment["CRM_ADMIN_PASSWORD"] {
                password = value
            } else {
                throw ValidationError("the database has no users yet: give the first admin's password with --admin-password-file or CRM_ADMIN_PASSWORD")
            }
            do {
                try await server.bootstrapAdmin(login: login, password: password)
            } catch {
                throw ValidationError(error.description)
            }
        }
        var background: [any Service] = []
        if let listen = formsListen ?? environment["CRM_FORMS_LISTEN"] ?? settings.file["forms-listen"], !listen.isEmpty {
            let endpoint: ServiceSettings.Endpoint
            do { endpoint = try ServiceSettings.parseEndpoint(listen, setting: "forms-listen") } catch { throw ValidationError(error.description) }
            let proxies = (formsTrustedProxies ?? environment["CRM_FORMS_TRUSTED_PROXIES"] ?? settings.file["forms-trusted-proxies"] ?? "")
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            background.append(server.formsServer(host: endpoint.host, port: endpoint.port, trustedProxies: Set(proxies), logger: Logger(label: "crm.leads.forms")))
        }
        try await ServiceMain.serve("crm-leads", settings: settings, router: server.router(), background: background)
        try server.database.close()
    }
}
