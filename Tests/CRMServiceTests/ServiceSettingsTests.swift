import ArgumentParser
import Testing
@testable import CRMService

@Suite("Settings: flags over environment over config file over defaults", .timeLimit(.minutes(3)))
struct ServiceSettingsTests {
    let defaults = ServiceSettings(port: 7701, databasePath: "var/leads.sqlite", peers: ["activities": .init(host: "127.0.0.1", port: 7702)])

    func resolve(_ arguments: [String], store: [String] = [], env: [String: String] = [:], files: [String: String] = [:]) throws -> ServiceSettings {
        let sources = SettingsSources(
            options: try ServiceOptions.parse(arguments),
            storeOptions: try StoreOptions.parse(store),
            environment: env,
            readFile: { path in
                guard let text = files[path] else { throw SettingsError("no such file") }
                return text
            })
        return try ServiceSettings.resolve(sources, defaults: defaults)
    }

    @Test("defaults stand when nothing is given")
    func defaultsOnly() throws {
        #expect(try resolve([]) == defaults)
    }

    @Test("each source overrides the ones below it")
    func precedence() throws {
        let file = """
            # leads service
            listen = 0.0.0.0:9000
            database = /srv/file.sqlite
            log-level = debug
            peer.activities = act.internal:7002
            auth-secret = from-file
            grace-period = 3
            """
        let files = ["/etc/crm.conf": file, "/run/secret": "from-secret-file\n"]
        let fromFile = try resolve([], env: ["CRM_CONFIG": "/etc/crm.conf"], files: files)
        #expect(fromFile.host == "0.0.0.0" && fromFile.port == 9000)
        #expect(fromFile.databasePath == "/srv/file.sqlite")
        #expect(fromFile.logLevel == .debug)
        #expect(fromFile.peers["activities"] == .init(host: "act.internal", port: 7002))
        #expect(fromFile.authSecret == "from-file")
        #expect(fromFile.gracePeriod == .seconds(3))

        let fromEnv = try resolve([], env: ["CRM_CONFIG": "/etc/crm.conf", "CRM_LISTEN": "10.0.0.1:9100", "CRM_PEER_ACTIVITIES": "env-host:1", "CRM_AUTH_SECRET": "from-env"], files: files)
        #expect(fromEnv.port == 9100)
        #expect(fromEnv.peers["activities"]?.host == "env-host")
        #expect(fromEnv.authSecret == "from-env")
        #expect(fromEnv.databasePath == "/srv/file.sqlite")

        let fromFlags = try resolve(
            ["--listen", "[::1]:9200", "--log-level", "warning"],
            store: ["--peer", "activities=flag-host:2", "--auth-secret-file", "/run/secret", "--database", "/tmp/x.sqlite"],
            env: ["CRM_CONFIG": "/etc/crm.conf", "CRM_LISTEN": "10.0.0.1:9100", "CRM_AUTH_SECRET": "from-env"], files: files)
        #expect(fromFlags.host == "::1" && fromFlags.port == 9200)
        #expect(fromFlags.logLevel == .warning)
        #expect(fromFlags.peers["activities"] == .init(host: "flag-host", port: 2))
        #expect(fromFlags.authSecret == "from-secret-file")
        #expect(fromFlags.databasePath == "/tmp/x.sqlite")
    }

    @Test("bad values are errors naming the setting")
    func badValues() throws {
        let cases: [([String], [String], [String: String], String)] = [
            (["--listen", "nohost"], [], [:], "listen nohost"),
            (["--listen", "h:70000"], [], [:], "listen h:70000"),
            (["--listen", ":80"], [], [:], "the host is empty"),
            (["--log-level", "loud"], [], [:], "log-level loud"),
            ([], ["--peer", "activities"], [:], "--peer activities"),
            ([], [], ["CRM_PEER_X": "bad"], "CRM_PEER_X bad"),
            ([], [], ["CRM_GRACE_PERIOD": "-1"], "grace-period -1"),
            ([], [], ["CRM_CONFIG": "/missing"], "cannot read config file /missing"),
        ]
        for (flags, store, env, message) in cases {
            do {
                _ = try resolve(flags, store: store, env: env)
                Issue.record("accepted \(flags) \(store) \(env)")
            } catch let error as SettingsError {
                #expect(error.description.contains(message), "\(error.description)")
            }
        }
        #expect(throws: SettingsError.self) { try resolve([], env: ["CRM_CONFIG": "/c"], files: ["/c": "just words"]) }
    }
}
