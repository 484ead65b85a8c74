import ActivitiesService
import ArgumentParser
import CRMRPC
import CRMService

/// crm-activities: appointments, calls, meetings, tasks and incidents.
@main
struct ActivitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-activities",
        abstract: "Serves activities, tasks, incidents, their links and attachments, and the open-work check of crm-leads.",
        discussion: """
            Asks crm-leads (peer.leads) whether each lead exists and is visible to the caller, who users are, and \
            whether a caller's account is still active; without crm-leads those calls are UNAVAILABLE. The auth \
            secret must be the one crm-leads uses.
            """)

    @OptionGroup var options: ServiceOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var maintenance: MaintenanceOptions

    func run() async throws {
        let defaults = ServiceSettings(port: 7702, databasePath: "var/activities.sqlite", peers: ["leads": .init(host: "127.0.0.1", port: 7701)])
        let settings = try ServiceMain.settings(SettingsSources(options: options, storeOptions: store), defaults: defaults)
        if ServiceMain.maintain("crm-activities", maintenance, settings: settings) { return }
        ServiceMain.bootstrap(settings)
        let server = try ServiceMain.start("crm-activities") {
            let leads = settings.peers["leads"].map { LeadsPeer.rpc(RPCClient(host: $0.host, port: $0.port)) } ?? .unconfigured
            return try ActivitiesServer(ActivitiesServer.Configuration(databasePath: settings.databasePath, authSecret: settings.authSecret, leads: leads))
        }
        try await ServiceMain.serve("crm-activities", settings: settings, router: server.router())
        try server.database.close()
    }
}
