import ArgumentParser
import Foundation

/// `crm up`: the whole system on this machine, until Ctrl-C.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every service built beside crm on this machine, until Ctrl-C or SIGTERM.",
        discussion: """
            Databases and the shared auth secret live in --data (./var by default); the first run creates \
            the first admin and prints the password once. Each service listens on its address (the same \
            flags, CRM_*_ADDRESS variables and config file every crm command reads), and knows the others'. \
            Their logs are printed with the service's name in front. On Ctrl-C or SIGTERM every service \
            finishes its calls and closes its database; if one dies, the others are stopped too. Running \
            it again reuses the same data.
            """)

    @Option(help: ArgumentHelp("The folder for the databases and the auth secret.", valueName: "dir"))
    var data = "var"

    @Option(help: ArgumentHelp("The first admin's login, on the first run.", valueName: "login"))
    var adminLogin = "admin"

    @Option(help: ArgumentHelp("The services' log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel = "info"

    @OptionGroup var connection: ConnectionOptions

    /// How long the services have to stop before they are killed.
    static let grace = Duration.seconds(30)

    func run() async throws {
        try await reporting {
            let folder = URL(fileURLWithPath: data).standardizedFileURL
            let services = ServiceName.allCases.compactMap { service in Stack.executable(service).map { (service, $0) } }
            guard !services.isEmpty else {
                throw CLIFailure(.failed, "no service executable is built beside crm: run `swift build` (or set CRM_BIN to their folder)")
            }
            var endpoints: [ServiceName: Endpoint] = [:]
            for service in ServiceName.allCases { endpoints[service] = try connection.address(of: service) }
            for (service, _) in services {
                // Each service's metrics are served at its port plus 100.
                // crm-leads' web forms at its port plus 10.
                let extra = [MetricsProbe.endpoint(of: endpoints[service]!)] + (service == .leads ? [FormsProbe.endpoint(of: endpoints[service]!)] : [])
                for endpoint in [endpoints[service]!] + extra where !Stack.isFree(endpoint) {
                    let what = endpoint == endpoints[service]! ? "" : endpoint == extra[0] ? "'s metrics" : "'s web forms"
                    throw CLIFailure(.failed, """
                        \(endpoint) (for \(service.executable)\(what)) is already in use: is another `crm up` running? \
                        Stop it, or give \(service.executable) another address with --\(service.rawValue) or \(service.environmentKey).
                        """)
                }
            }

            let secretFile = try prepare(folder)
            let stack = Stack()
            stack.catchSignals()
            var firstPassword: String?
            for (service, executable) in services {
                let endpoint = endpoints[service]!
                let database = folder.appendingPathComponent("\(service.rawValue).sqlite")
                var arguments = ["--listen", endpoint.description, "--database", database.path, "--auth-secret-file", secretFile.path, "--log-level", logLevel,
                                 "--metrics-listen", MetricsProbe.endpoint(of: endpoint).description]
                for peer in ServiceName.allCases where peer != service { arguments += ["--peer", "\(peer.rawValue)=\(endpoints[peer]!)"] }
                if service == .leads { arguments += ["--forms-listen", FormsProbe.endpoint(of: endpoint).description] }
                var environment: [String: String] = [:]
                if service == .leads && !FileManager.default.fileExists(atPath: database.path) {
                    let password = Self.newPassword()
                    environment = ["CRM_ADMIN_LOGIN": adminLogin, "CRM_ADMIN_PASSWORD": password]
                    firstPassword = password
                }
                try stack.start(service, executable: executable, arguments: arguments, environment: environment)
            }

            if let failure = await waitUntilServing(services.map(\.0), endpoints, stack) {
                await stack.stopAll(grace: Self.grace)
                throw failure
            }
            var table = Table(header: ["service", "address", "health", "version", "metrics"])
            for (service, _) in services {
                let check = await Health.check(endpoints[service]!)
                table.rows.append([service.executable, endpoints[service]!.description, check.health, check.version,
                                   "http://\(MetricsProbe.endpoint(of: endpoints[service]!))/metrics"])
            }
            var lines = table.text().split(separator: "\n").map(String.init)
            if let leads = endpoints[.leads], services.contains(where: { $0.0 == .leads }) {
                lines += FormsProbe.summary(FormsProbe.endpoint(of: leads))
            }
            lines.append("Data in \(folder.path).")
            if let firstPassword {
                lines.append("First run: log in with `crm login \(adminLogin)` and the password \(firstPassword) (shown only this once).")
            }
            lines.append("Ready. Ctrl-C stops every service.")
            stack.print(lines)

            while true {
                switch stack.nextEvent() {
                case .signal?:
                    stack.print(["Stopping every service..."])
                    await stack.stopAll(grace: Self.grace)
                    stack.print(["Stopped."])
                    return
                case .exited(let service, let status, let killed)?:
                    await stack.stopAll(grace: Self.grace)
                    let how = killed ? "was killed by signal \(status)" : "stopped with exit status \(status)"
                    throw CLIFailure(.failed, "\(service.executable) \(how), so every service was stopped; its log is above")
                case nil:
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// Creates the data folder (owner only) and the auth secret every service shares.
    private func prepare(_ folder: URL) throws -> URL {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIFailure(.failed, "cannot create the data folder \(folder.path): \(error.localizedDescription)")
        }
        let secret = folder.appendingPathComponent("auth-secret")
        if (try? String(contentsOf: secret, encoding: .utf8))?.isEmpty ?? true {
            var bytes = [UInt8](repeating: 0, count: 48)
            for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max) }
            guard fm.createFile(atPath: secret.path, contents: Data(Data(bytes).base64EncodedString().utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CLIFailure(.failed, "cannot write the auth secret \(secret.path)")
            }
        }
        return secret
    }

    /// Waits (at most a minute) until every service answers SERVING; a failure when one exits
    /// first, a signal arrives, or time runs out.
    private func waitUntilServing(_ services: [ServiceName], _ endpoints: [ServiceName: Endpoint], _ stack: Stack) async -> CLIFailure? {
        var waiting = services
        let deadline = ContinuousClock.now + .seconds(60)
        while !waiting.isEmpty {
            switch stack.nextEvent() {
            case .exited(let service, let status, _)?:
                return CLIFailure(.failed, "\(service.executable) could not start (exit status \(status)); its log is above")
            case .signal?:
                return CLIFailure(.failed, "stopped before every service was ready")
            case nil:
                break
            }
            guard ContinuousClock.now < deadline else {
                return CLIFailure(.unavailable, "\(waiting.map(\.executable).joined(separator: ", ")) did not become ready within a minute")
            }
            var still: [ServiceName] = []
            for service in waiting where await Health.check(endpoints[service]!, timeout: .seconds(1)).health != "serving" { still.append(service) }
            waiting = still
            if !waiting.isEmpty { try? await Task.sleep(for: .milliseconds(100)) }
        }
        return nil
    }

    /// 18 random letters and digits.
    static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<18).map { _ in alphabet.randomElement()! })
    }
}
