import ArgumentParser
import CRMRPC
import Foundation

/// Where the services are and how to print answers: options every command takes.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("leads"), help: "crm-leads address, HOST:PORT (default: CRM_LEADS_ADDRESS or 127.0.0.1:7701).")
    var leadsAddress: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// The crm-leads address: the flag, the environment, or the local stack's default.
    func leads() throws -> (host: String, port: Int) {
        try Self.parse(leadsAddress ?? ProcessInfo.processInfo.environment["CRM_LEADS_ADDRESS"] ?? "127.0.0.1:7701", name: "--leads")
    }

    static func parse(_ text: String, name: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port), colon > text.startIndex else {
            throw ValidationError("\(name) must be HOST:PORT, such as 127.0.0.1:7701 (got \"\(text)\")")
        }
        return (String(text[..<colon]), port)
    }

    /// A connection to crm-leads, closed after `body`.
    func withLeads<T>(_ body: (RPCClient) async throws -> T) async throws -> T {
        let (host, port) = try leads()
        let client = RPCClient(host: host, port: port)
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch {
            await client.close()
            throw error
        }
    }

    /// Call options carrying the saved token (and a fresh idempotency key for changes).
    func signedIn(changing: Bool = false) throws -> CallOptions {
        guard let session = try Session.load() else {
            throw CLIFailure(.notAllowed, "you are not logged in: run `crm login`")
        }
        var options = CallOptions(timeout: .seconds(60), metadata: Metadata(authorization: "Bearer \(session.token)"))
        if changing { options = options.with(idempotencyKey: UUID().uuidString) }
        return options
    }
}
