@_exported import CRMSettings
import Foundation
import Logging

/// A service's settings once flags, environment and config file have been merged.
public struct ServiceSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var databasePath: String
    /// Peer services by name ("leads", "activities", ...), as host and port.
    public var peers: [String: Endpoint]
    public var authSecret: String
    public var logLevel: Logger.Level
    public var gracePeriod: Duration
    /// Where Prometheus metrics are served; nil for nowhere.
    public var metricsEndpoint: Endpoint?
    /// Every `key = value` of the config file, for the settings a service has of its own (read
    /// after its flags and CRM_* variables, as these are).
    public var file: [String: String] = [:]

    public init(
        host: String = "127.0.0.1",
        port: Int,
        databasePath: String = "",
        peers: [String: Endpoint] = [:],
        authSecret: String = "",
        logLevel: Logger.Level = .info,
        gracePeriod: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.peers = peers
        self.authSecret = authSecret
        self.logLevel = logLevel
        self.gracePeriod = gracePeriod
    }

    public typealias Endpoint = CRMSettings.Endpoint
}

/// Where each setting may come from, before merging.
public struct SettingsSources {
    public var options: ServiceOptions
    /// nil for services without a store (their executables do not offer those flags).
    public var storeOptions: StoreOptions?
    public var environment: [String: String]
    /// Reads a file's text (injected for tests).
    public var readFile: @Sendable (String) throws -> String

    public init(
        options: ServiceOptions,
        storeOptions: StoreOptions? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: @escaping @Sendable (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
    ) {
        self.options = options
        self.storeOptions = storeOptions
        self.environment = environment
        self.readFile = readFile
    }
}

extension ServiceSettings {
    /// Merges flags over environment over config file over defaults.
    public static func resolve(_ sources: SettingsSources, defaults: ServiceSettings) throws(SettingsError) -> ServiceSettings {
        let options = sources.options
        let store = sources.storeOptions
        let env = sources.environment
        var file: [String: String] = [:]
        if let path = options.config ?? env["CRM_CONFIG"] {
            let text: String
            do { text = try sources.readFile(path) } catch { throw SettingsError("cannot read config file \(path): \(error.localizedDescription)") }
            file = try parseConfigFile(text, path: path)
        }

        var settings = defaults
        settings.file = file
        if let listen = options.listen ?? env["CRM_LISTEN"] ?? file["listen"] {
            let endpoint = try parseEndpoint(listen, setting: "listen")
            settings.host = endpoint.host
            settings.port = endpoint.port
        }
        if let metrics = options.metricsListen ?? env["CRM_METRICS_LISTEN"] ?? file["metrics-listen"] {
            settings.metricsEndpoint = try parseEndpoint(metrics, setting: "metrics-listen")
        }
        if let database = store?.database ?? env["CRM_DATABASE"] ?? file["database"] {
            guard !database.isEmpty else { throw SettingsError("database: must not be empty") }
            settings.databasePath = database
        }

        var peers = defaults.peers
        for (key, value) in file where key.hasPrefix("peer.") {
            peers[String(key.dropFirst(5))] = try parseEndpoint(value, setting: key)
        }
        for (key, value) in env where key.hasPrefix("CRM_PEER_") {
            peers[key.dropFirst(9).lowercased()] = try parseEndpoint(value, setting: key)
        }
        for flag in store?.peer ?? [] {
            guard let eq = flag.firstIndex(of: "="), eq != flag.startIndex else {
                throw SettingsError("--peer \(flag): expected NAME=HOST:PORT")
            }
            peers[flag[..<eq].lowercased()] = try parseEndpoint(String(flag[flag.index(after: eq)...]), setting: "--peer \(flag[..<eq])")
        }
        settings.peers = peers

        if let path = store?.authSecretFile {
            settings.authSecret = try readSecret(path, sources)
        } else if let secret = env["CRM_AUTH_SECRET"] {
            settings.authSecret = secret
        } else if let path = file["auth-secret-file"] {
            settings.authSecret = try readSecret(path, sources)
        } else if let secret = file["auth-secret"] {
            settings.authSecret = secret
        }

        if let level = options.logLevel ?? env["CRM_LOG_LEVEL"] ?? file["log-level"] {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw SettingsError("log-level \(level): expected trace, debug, info, notice, warning, error or critical")
            }
            settings.logLevel = parsed
        }
        let graceText = options.gracePeriod.map { String($0) } ?? env["CRM_GRACE_PERIOD"] ?? file["grace-period"]
        if let graceText {
            guard let seconds = Double(graceText), seconds >= 0, seconds <= 3600 else {
                throw SettingsError("grace-period \(graceText): expected seconds between 0 and 3600")
            }
            settings.gracePeriod = .milliseconds(Int64(seconds * 1000))
        }
        return settings
    }

    /// Parses "HOST:PORT" (IPv6 as "[::1]:PORT").
    public static func parseEndpoint(_ text: String, setting: String) throws(SettingsError) -> Endpoint {
        try SettingsText.endpoint(text, setting: setting)
    }

    /// Parses `key = value` lines; '#' starts a comment line.
    public static func parseConfigFile(_ text: String, path: String) throws(SettingsError) -> [String: String] {
        try SettingsText.configFile(text, path: path)
    }

    private static func readSecret(_ path: String, _ sources: SettingsSources) throws(SettingsError) -> String {
        do {
            return try sources.readFile(path).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw SettingsError("cannot read the auth secret file \(path): \(error.localizedDescription)")
        }
    }
}
