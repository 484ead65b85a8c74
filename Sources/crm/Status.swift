import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show each configured service: address, health, version and round-trip time.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let (host, port) = try connection.leads()
            var table = Table(header: ["service", "address", "health", "version", "round trip"])
            var json: [[String: Any]] = []
            var down = false
            let start = ContinuousClock.now
            do {
                let health = try await connection.withLeads { rpc in
                    try await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest(), options: CallOptions(timeout: .seconds(5)))
                }
                let elapsed = ContinuousClock.now - start
                let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                let state = health.status == .serving ? "serving" : "not serving"
                down = health.status != .serving
                table.rows.append(["crm-leads", "\(host):\(port)", state, health.version, String(format: "%.1f ms", ms)])
                json.append(["service": "crm-leads", "address": "\(host):\(port)", "health": state, "version": health.version, "round_trip_ms": ms])
            } catch let error as RPCError {
                down = true
                table.rows.append(["crm-leads", "\(host):\(port)", "unreachable: \(error.message)", "", ""])
                json.append(["service": "crm-leads", "address": "\(host):\(port)", "health": "unreachable", "error": error.message])
            }
            print(connection.json ? JSONOutput.text(json) : table.text, terminator: "")
            if down { throw CLIFailure(.unavailable, "a service is not serving") }
        }
    }
}
