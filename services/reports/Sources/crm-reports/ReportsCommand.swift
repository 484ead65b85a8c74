import ArgumentParser
import CRMRPC
import CRMService
import Logging
import ReportsService

/// crm-reports: the read model of leads and work, and the reports answered from it.
@main
struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-reports",
        abstract: "Serves the reports (All Leads, My Leads, by type and status, overdue, pipeline, conversion, workload, work, exports and charts) from a read model.",
        discussion: """
            The read model is built only from the event feeds of crm-leads (peer.leads) and crm-activities \
            (peer.activities), followed as a service with the shared auth secret; each feed's cursor is stored with the rows \
            it changed. When a source is down the reports keep answering from what they have, each answer saying the \
            sequence it includes; FeedStatus says how far behind each feed is. Callers' accounts are checked with crm-leads.
            """)

    @OptionGroup var options: ServiceOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var maintenance: MaintenanceOptions

    @Flag(help: "Empty the read model and build it again from the feeds (it keeps answering meanwhile, from what it has applied).")
    var rebuild = false

    func run() async throws {
        let defaults = ServiceSettings(port: 7704, databasePath: "var/reports.sqlite", peers: [
            "leads": .init(host: "127.0.0.1", port: 7701), "activities": .init(host: "127.0.0.1", port: 7702),
        ])
        let settings = try ServiceMain.settings(SettingsSources(options: options, storeOptions: store), defaults: defaults)
        if ServiceMain.maintain("crm-reports", maintenance, settings: settings) { return }
        ServiceMain.bootstrap(settings)
        var logger = Logger(label: "crm-reports")
        logger.logLevel = settings.logLevel
        let server = try ServiceMain.start("crm-reports") {
            try ReportsServer(ReportsServer.Configuration(
                databasePath: settings.databasePath, authSecret: settings.authSecret,
                leads: settings.peers["leads"].map { RPCClient(host: $0.host, port: $0.port) },
                activities: settings.peers["activities"].map { RPCClient(host: $0.host, port: $0.port) },
                rebuild: rebuild), logger: logger)
        }
        try await ServiceMain.serve("crm-reports", settings: settings, router: server.router(), background: server.background)
        try server.database.close()
    }
}
