import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each service: address, health, version, round-trip time, and where its metrics are.",
        discussion: "Exit code 4 when a service that is configured, or built beside crm, does not answer.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            var table = Table(header: ["service", "address", "health", "version", "round trip", "metrics"])
            var json: [JSONValue] = []
            var down: [String] = []
            for service in ServiceName.allCases {
                let endpoint = try connection.address(of: service)
                let check = await Health.check(endpoint)
                let metrics = check.health == "serving" ? MetricsProbe.url(MetricsProbe.endpoint(of: endpoint)) : nil
                table.rows.append([service.executable, endpoint.description, check.health, check.version,
                                   check.roundTrip.map { String(format: "%.1f ms", $0) } ?? "", metrics ?? ""])
                var members = [JSONMember("service", .string(service.executable)), JSONMember("address", .string(endpoint.description)),
                               JSONMember("health", .string(check.health)), JSONMember("version", .string(check.version))]
                if let ms = check.roundTrip { members.append(JSONMember("round_trip_ms", .number(String(format: "%.3f", ms)))) }
                if let metrics { members.append(JSONMember("metrics", .string(metrics))) }
                json.append(.object(members))
                let expected = try connection.isConfigured(service) || Stack.executable(service) != nil
                if check.health != "serving" && expected { down.append(service.executable) }
            }
            if output.json { print(JSONValue.array(json).text()) } else { output.printTable(table) }
            if !down.isEmpty { throw CLIFailure(.unavailable, "not serving: \(down.joined(separator: ", "))") }
        }
    }
}

/// One Health.Check call, as people read it.
enum Health {
    struct Result {
        var health: String
        var version = ""
        var roundTrip: Double?
    }

    static func check(_ endpoint: Endpoint, timeout: Duration = .seconds(5)) async -> Result {
        let client = RPCClient(host: endpoint.host, port: endpoint.port)
        let start = ContinuousClock.now
        let result: Result
        do {
            let answer = try await RpcV1.Health.Client(client).check(RpcV1.HealthCheckRequest(), options: CallOptions(timeout: timeout))
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            result = Result(health: answer.status == .serving ? "serving" : "not serving", version: answer.version, roundTrip: ms)
        } catch {
            result = Result(health: error.code == .unavailable ? "not running" : "unreachable: \(error.message)")
        }
        await client.close()
        return result
    }
}
