import ArgumentParser
import CRMRPC
import CRMSettings
import Foundation

/// The services `crm` talks to, with the local stack's default ports.
enum ServiceName: String, CaseIterable, Sendable {
    case leads, activities, comms, reports

    var executable: String { "crm-\(rawValue)" }
    var defaultPort: Int {
        switch self {
        case .leads: 7701
        case .activities: 7702
        case .comms: 7703
        case .reports: 7704
        }
    }

    /// The environment variable that holds its address, such as CRM_LEADS_ADDRESS.
    var environmentKey: String { "CRM_\(rawValue.uppercased())_ADDRESS" }

    /// The service a proto package belongs to ("crm.leads.v1" -> leads).
    init?(package: String) {
        let parts = package.split(separator: ".")
        guard parts.count > 1, let name = ServiceName(rawValue: String(parts[1])) else { return nil }
        self = name
    }
}

typealias Endpoint = CRMSettings.Endpoint

/// Where the services are: options every command takes.
///
/// Each address comes from its flag, else `CRM_<SERVICE>_ADDRESS`, else the config file
/// (`$XDG_CONFIG_HOME/crm/config`, or `CRM_CLI_CONFIG`: `leads = HOST:PORT` lines), else the
/// local stack's default (127.0.0.1:7701 to 7704).
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("leads"), help: ArgumentHelp("crm-leads address.", valueName: "host:port"))
    var leadsAddress: String?

    @Option(name: .customLong("activities"), help: ArgumentHelp("crm-activities address.", valueName: "host:port"))
    var activitiesAddress: String?

    @Option(name: .customLong("comms"), help: ArgumentHelp("crm-comms address.", valueName: "host:port"))
    var commsAddress: String?

    @Option(name: .customLong("reports"), help: ArgumentHelp("crm-reports address.", valueName: "host:port"))
    var reportsAddress: String?

    @Option(name: .customLong("profile"), help: ArgumentHelp("The saved session to use, for a person who signs in with several logins (crm login --profile NAME). Env: CRM_PROFILE.", valueName: "name"))
    var profileFlag: String?

    /// The session profile: --profile, else CRM_PROFILE, else the default one.
    var profile: String? { profileFlag ?? ProcessInfo.processInfo.environment["CRM_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } }

    private func flag(_ service: ServiceName) -> String? {
        switch service {
        case .leads: leadsAddress
        case .activities: activitiesAddress
        case .comms: commsAddress
        case .reports: reportsAddress
        }
    }

    /// The address of `service`, from the first place that gives one.
    func address(of service: ServiceName) throws -> Endpoint {
        let environment = ProcessInfo.processInfo.environment
        if let text = flag(service) { return try Self.endpoint(text, "--\(service.rawValue)") }
        if let text = environment[service.environmentKey] { return try Self.endpoint(text, service.environmentKey) }
        if let text = try CLIConfig.load()[service.rawValue] { return try Self.endpoint(text, "\(CLIConfig.path): \(service.rawValue)") }
        return Endpoint(host: "127.0.0.1", port: service.defaultPort)
    }

    static func endpoint(_ text: String, _ setting: String) throws -> Endpoint {
        do throws(SettingsError) {
            let endpoint = try SettingsText.endpoint(text, setting: setting)
            guard endpoint.port != 0 else { throw SettingsError("\(setting) \(text): the port must be from 1 to 65535") }
            return endpoint
        } catch {
            throw CLIFailure(.usage, error.description)
        }
    }

    /// True when the address of `service` is given rather than the default.
    func isConfigured(_ service: ServiceName) throws -> Bool {
        let inFile = try CLIConfig.load()[service.rawValue] != nil
        return flag(service) != nil || ProcessInfo.processInfo.environment[service.environmentKey] != nil || inFile
    }

    /// A connection to `service`, closed after `body`.
    func with<T>(_ service: ServiceName, _ body: (RPCClient) async throws -> T) async throws -> T {
        let endpoint = try address(of: service)
        let client = RPCClient(host: endpoint.host, port: endpoint.port)
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch let error as RPCError where error.code == .unavailable && error.message.hasPrefix("cannot connect to ") {
            await client.close()
            // Which service, and what to do about it; the socket's own error helps nobody here.
            throw CLIFailure(.unavailable, """
                \(service.executable) is not answering at \(endpoint): is `crm up` running? \
                (Or give its address with --\(service.rawValue) or \(service.environmentKey).)
                """)
        } catch {
            await client.close()
            throw error
        }
    }

    /// A connection to crm-leads, closed after `body`.
    func withLeads<T>(_ body: (RPCClient) async throws -> T) async throws -> T {
        try await with(.leads, body)
    }

    /// Call options carrying the saved token (and a fresh idempotency key for changes).
    func signedIn(changing: Bool = false) throws -> CallOptions {
        guard let session = try Session.load(profile: profile) else {
            throw CLIFailure(.notAllowed, profile.map { "you are not logged in as profile \($0): run `crm login --profile \($0) LOGIN`" } ?? "you are not logged in: run `crm login`")
        }
        var options = CallOptions(timeout: .seconds(60), metadata: Metadata(authorization: "Bearer \(session.token)"))
        if changing { options = options.with(idempotencyKey: UUID().uuidString) }
        return options
    }
}

/// The CLI's config file: `key = value` lines, like the services' own.
enum CLIConfig {
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CRM_CLI_CONFIG"] { return path }
        return Session.folder.appendingPathComponent("config").path
    }

    static func load() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        do {
            return try SettingsText.configFile(String(decoding: data, as: UTF8.self), path: path)
        } catch {
            throw CLIFailure(.usage, error.description)
        }
    }
}
