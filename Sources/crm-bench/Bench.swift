import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Logging
import NIOCore
import NIOPosix

/// crm-bench: the RPC core against the physical floor (crm-floor, a C loopback ping-pong with the
/// same frame sizes), and the leads service's store-bound calls, in one run, on this machine. scripts/bench builds both in release mode,
/// runs this, and keeps the table in BENCHMARKS.md.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-bench",
        abstract: "Measures the RPC core next to a plain TCP ping-pong and prints one table."
    )

    @Option(help: "Sequential calls timed for the round-trip percentiles.")
    var roundTrips = 20_000

    @Option(help: "Calls made for each calls-per-second measurement.")
    var calls = 100_000

    @Option(help: "Bytes of payload in each Echo request and response.")
    var payload = 32

    @Option(help: "Event loop threads shared by the benchmark's server and client (0: one per core).")
    var loopThreads = 0

    @Option(help: "Write the tables into this Markdown file, replacing the previous ones.")
    var markdown: String?

    @Option(help: "Seconds each attack of the stress suite lasts.")
    var stressSeconds = 6.0

    @Option(help: "Which benchmarks to run: rpc, leads, activities, comms, reports, stress, peers (comma-separated; stress is scripts/stress's, peers needs the peers built by scripts/bench --only peers; neither runs by default).")
    var only = "rpc,leads,activities,comms,reports"

    @Option(help: ArgumentHelp("Only be the peers benchmark's crm client, against crm-echo on this port.", valueName: "port"))
    var echoClient: Int?

    @Option(help: "Leads in the reports' read model.")
    var reportLeads = 1_000_000

    @Option(help: "Leads the mass message goes to.")
    var massLeads = 10_000

    @Option(help: "Activities scheduled through ScheduleActivity for the creates/s row.")
    var activityCreates = 20_000

    @Option(help: "Leads created through CreateLead for the creates/s rows.")
    var leadCreates = 20_000

    @Option(help: "Rows in the CSV import (and leads under the filtered page).")
    var importRows = 1_000_000

    func run() async throws {
        if let echoClient { return try await EchoPhases.run(port: echoClient, payload: payload, roundTrips: roundTrips, calls: calls) }
        let suites = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        if suites.contains("rpc") { try await runCore() }
        if suites.contains("peers") {
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let (table, context) = try await PeersBench(payload: payload, roundTrips: roundTrips, calls: calls, root: root).run()
            print(context)
            print(table)
            if let markdown { try write(section: "peers", title: "RPC core beside its peers", table: table, context: context, to: markdown) }
        }
        if suites.contains("leads") {
            let (table, context) = try await LeadsBench(rows: importRows, creates: leadCreates).run()
            print(context)
            print(table)
            if let markdown { try write(section: "leads", title: "Leads", table: table, context: context, to: markdown) }
        }
        if suites.contains("activities") {
            let (table, context) = try await ActivitiesBench(creates: activityCreates).run()
            print(context)
            print(table)
            if let markdown { try write(section: "activities", title: "Activities", table: table, context: context, to: markdown) }
        }
        if suites.contains("reports") {
            let (table, context) = try await ReportsBench(leads: reportLeads).run()
            print(context)
            print(table)
            if let markdown { try write(section: "reports", title: "Reports", table: table, context: context, to: markdown) }
        }
        if suites.contains("stress") {
            let (table, context) = try await StressBench(seconds: stressSeconds).run()
            print(context)
            print(table)
            if let markdown { try write(section: "stress", title: "Hostile clients (scripts/stress)", table: table, context: context, to: markdown) }
        }
        if suites.contains("comms") {
            let (table, context) = try await CommsBench(leads: massLeads).run()
            print(context)
            print(table)
            if let markdown { try write(section: "comms", title: "Comms", table: table, context: context, to: markdown) }
        }
    }

    private func runCore() async throws {
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .warning
        var router = RPCRouter()
        router.register(EchoService())
        let group: any EventLoopGroup = loopThreads > 0 ? MultiThreadedEventLoopGroup(numberOfThreads: loopThreads) : MultiThreadedEventLoopGroup.singleton
        let server = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: router, logger: logger, group: group)
        try await server.start()
        let rpc = RPCClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: server.port!), group: group)
        let echo = TestingV1.Echo.Client(rpc)
        let request = TestingV1.EchoRequest(text: "ping", payload: [UInt8](repeating: 7, count: payload))
        let (requestBytes, responseBytes) = try frameSizes(request)

        // On the default executor: with server and client sharing this process's two event loops,
        // the client's calls on its own loop (RPCClient.executor) measured slower here (in one run
        // 91k calls/s at 256 against 160k, p50 the same); the peers table runs them apart, and uses it.
        let (samples, rates) = try await EchoPhases.measure(echo, request, roundTrips: roundTrips, calls: calls)
        let p50 = samples[samples.count / 2]
        let p99 = samples[samples.count * 99 / 100]
        await rpc.close()
        await server.shutdown()

        let floorOne = try runFloor(requestBytes, responseBytes, iterations: roundTrips, depth: 1)
        let floorPipelined = try runFloor(requestBytes, responseBytes, iterations: calls * 2, depth: 64)

        let rows: [(String, String, String, String)] = [
            ("unary round trip p50", us(p50), us(floorOne.p50), verdict(p50 / floorOne.p50, "x the floor", target: "<= 2x", ok: p50 <= 2 * floorOne.p50)),
            ("unary round trip p99", us(p99), us(floorOne.p99), String(format: "%.2fx the floor", p99 / floorOne.p99)),
            ("calls/s, 1 in flight", perSecond(rates[1]!), perSecond(floorOne.rate), String(format: "%.2fx the floor", rates[1]! / floorOne.rate)),
            ("calls/s, 16 in flight", perSecond(rates[16]!), "", ""),
            ("calls/s, 256 in flight", perSecond(rates[256]!), perSecond(floorPipelined.rate) + " (depth 64)",
             verdict(rates[256]! / floorPipelined.rate, "x the floor", target: ">= 1x", ok: rates[256]! >= floorPipelined.rate)),
        ]
        var table = "| measurement | crm RPC (Swift, NIO, protobuf-c) | floor (C, plain TCP) | ratio (target) |\n|---|---|---|---|\n"
        for row in rows { table += "| \(row.0) | \(row.1) | \(row.2) | \(row.3) |\n" }
        let context = "Echo call: request frame \(requestBytes) B, response frame \(responseBytes) B; one connection; client and server in one process on loopback."
        print(context)
        print(table)
        if let markdown { try write(section: "rpc-core", title: "RPC core", table: table, context: context, to: markdown) }
    }

    private func frameSizes(_ request: TestingV1.EchoRequest) throws -> (Int, Int) {
        let requestHeader = RpcV1.RequestHeader(callId: 1000, kind: .open, method: TestingV1.Echo.Method.echo.path)
        let responseHeader = RpcV1.ResponseHeader(callId: 1000, endOfStream: true, status: RpcV1.Status())
        let response = TestingV1.EchoResponse(text: request.text, payload: request.payload)
        return (
            8 + (try requestHeader.serializedBytes().count) + (try request.serializedBytes().count),
            8 + (try responseHeader.serializedBytes().count) + (try response.serializedBytes().count)
        )
    }

    private struct FloorResult { var p50: Double; var p99: Double; var rate: Double }

    private func runFloor(_ requestBytes: Int, _ responseBytes: Int, iterations: Int, depth: Int) throws -> FloorResult {
        let values = try runFloorProgram("crm-floor", [String(requestBytes), String(responseBytes), String(iterations), String(depth)])
        return FloorResult(p50: values["p50_us"] ?? 0, p99: values["p99_us"] ?? 0, rate: values["rate"]!)
    }

    private func write(section name: String, title: String, table: String, context: String, to path: String) throws {
        let begin = "<!-- \(name):begin -->"
        let end = "<!-- \(name):end -->"
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let section = "\(begin)\n## \(title)\n\nMeasured \(date) on \(ProcessInfo.processInfo.activeProcessorCount) cores of \(cpu), release build. \(context)\n\n\(table)\(end)"
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "# Benchmarks\n\n`scripts/bench` runs every benchmark on this machine and rewrites its section of this file.\n\n"
        if let lower = text.range(of: begin), let upper = text.range(of: end) {
            text.replaceSubrange(lower.lowerBound..<upper.upperBound, with: section)
        } else {
            text += section + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func us(_ value: Double) -> String { String(format: "%.1f µs", value) }
    private func perSecond(_ value: Double) -> String { String(format: "%.0f", value) }
    private func verdict(_ ratio: Double, _ unit: String, target: String, ok: Bool) -> String {
        String(format: "%.2f%@ (%@: %@)", ratio, unit, target, ok ? "met" : "not met")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var microseconds: Double { seconds * 1e6 }
}
