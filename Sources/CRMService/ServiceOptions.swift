import ArgumentParser
import Logging

/// The command-line options every service executable shares. Each also comes from the
/// environment (`CRM_LISTEN`, `CRM_LOG_LEVEL`, `CRM_GRACE_PERIOD`, `CRM_CONFIG`) and from the
/// config file, in that order of precedence.
public struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Address to listen on, HOST:PORT (port 0 picks a free one). Env: CRM_LISTEN.", valueName: "host:port"))
    public var listen: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical. Env: CRM_LOG_LEVEL.", valueName: "level"))
    public var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("How long shutdown waits for calls in flight, in seconds. Env: CRM_GRACE_PERIOD.", valueName: "seconds"))
    public var gracePeriod: Double?

    @Option(name: .long, help: ArgumentHelp("Serve Prometheus metrics on http://HOST:PORT/metrics; off unless given. Env: CRM_METRICS_LISTEN.", valueName: "host:port"))
    public var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp("Config file of key = value lines (keys: listen, metrics-listen, log-level, grace-period, and for services with a store: database, peer.NAME, auth-secret, auth-secret-file). Env: CRM_CONFIG.", valueName: "path"))
    public var config: String?

    public init() {}
}

/// The options of services that keep data and call their peers. From the environment too:
/// `CRM_DATABASE`, `CRM_PEER_<NAME>`, `CRM_AUTH_SECRET`.
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database file. Env: CRM_DATABASE.", valueName: "path"))
    public var database: String?

    @Option(name: .long, help: ArgumentHelp("A peer service's address, NAME=HOST:PORT; repeatable. Env: CRM_PEER_<NAME>.", valueName: "name=host:port"))
    public var peer: [String] = []

    @Option(name: .long, help: ArgumentHelp("File holding the token signing secret shared by the services. Env: CRM_AUTH_SECRET (the secret itself).", valueName: "path"))
    public var authSecretFile: String?

    public init() {}
}

/// What an operator does to a service's database instead of serving: an online backup while
/// the service runs, or a restore while it is stopped.
public struct MaintenanceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Copy the database, as committed now, to this file (while the service runs or not), check it, and exit.", valueName: "path"))
    public var backupTo: String?

    @Option(name: .long, help: ArgumentHelp("Put this backup in place of the database (the service must be stopped; the old one is kept as DATABASE.before-restore), and exit.", valueName: "path"))
    public var restoreFrom: String?

    public init() {}

    public func validate() throws {
        if backupTo != nil && restoreFrom != nil { throw ValidationError("give --backup-to or --restore-from, not both") }
    }
}
