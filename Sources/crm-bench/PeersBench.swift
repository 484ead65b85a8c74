import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Glibc

/// The RPC core beside what a team would pick instead (grpc-swift-2, gRPC C++) and the plain TCP
/// floor, in one run: for each, its Echo server and its client in two processes, the server
/// pinned to CPU 0 and the client to CPU 1, the same request and response sizes, the same phases
/// (`EchoPhases`). The peers are built by scripts/bench into bench/ (see bench/README.md).
struct PeersBench {
    let payload: Int
    let roundTrips: Int
    let calls: Int
    /// The repository's root (bench/ and .build-peers/ are under it).
    let root: URL

    struct System {
        var name: String
        var server: [String]
        var client: [String]
    }

    /// What a client prints, and what the harness saw of the server.
    struct Result {
        var values: [String: Double]
        var serverPeakRSS: Int
        var serverCPU: Double
        var p50: Double { values["p50_us"] ?? 0 }
        var p99: Double { values["p99_us"] ?? 0 }
        func rate(_ depth: Int) -> Double { values["rate_\(depth)"] ?? 0 }
        /// Client and server CPU over every call the client made, in microseconds.
        var cpuPerCall: Double { ((values["cpu_s"] ?? 0) + serverCPU) / max(values["calls"] ?? 1, 1) * 1e6 }
    }

    func run() async throws -> (String, String) {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let (requestBytes, responseBytes) = try Self.frameSizes(payload: payload)
        let phases = [String(payload), String(roundTrips), String(calls)]
        let peers = root.appendingPathComponent(".build-peers")
        var systems = [
            System(name: "floor", server: [bin.appendingPathComponent("crm-floor").path, "serve", "PORT", String(requestBytes), String(responseBytes)],
                   client: [bin.appendingPathComponent("crm-floor").path, "client", "PORT", String(requestBytes), String(responseBytes), String(roundTrips), String(calls)]),
            System(name: "crm", server: [bin.appendingPathComponent("crm-echo").path, "--listen", "127.0.0.1:PORT", "--log-level", "warning"],
                   client: [bin.appendingPathComponent("crm-bench").path, "--echo-client", "PORT", "--payload", String(payload), "--round-trips", String(roundTrips), "--calls", String(calls)]),
        ]
        let swiftBin = root.appendingPathComponent("bench/grpc-swift/.build/release")
        systems.append(System(name: "grpc-swift-2", server: [swiftBin.appendingPathComponent("grpc-swift-echo-server").path, "PORT"],
                              client: [swiftBin.appendingPathComponent("grpc-swift-echo-client").path, "PORT"] + phases))
        systems.append(System(name: "gRPC C++", server: [peers.appendingPathComponent("grpc-cpp/echo_server").path, "PORT"],
                              client: [peers.appendingPathComponent("grpc-cpp/echo_client").path, "PORT"] + phases))
        var results: [String: Result] = [:]
        for system in systems {
            guard FileManager.default.isExecutableFile(atPath: system.server[0]), FileManager.default.isExecutableFile(atPath: system.client[0]) else {
                print("peers: \(system.name) is not built (\(system.server[0])); scripts/bench --only peers builds it")
                continue
            }
            results[system.name] = try await measure(system)
            print("peers: \(system.name): \(results[system.name]!.values)")
        }
        return (table(results), "Echo call: \(payload) B of payload each way (our frames: request \(requestBytes) B, response \(responseBytes) B); one connection per client; server pinned to CPU 0 and client to CPU 1 (taskset), each its own process; \(roundTrips) timed round trips, then \(roundTrips) calls with 1 in flight and \(calls) with 16 and with 256. Memory: the server's peak resident set over the run (its heaviest phase is 256 in flight). CPU per call: the client's and the server's user + system time over every call made.")
    }

    /// Starts the server, waits until it takes connections, runs the client, and reads both.
    private func measure(_ system: System) async throws -> Result {
        let port = try LeadsProcess.freePort()
        func pinned(_ cpu: Int, _ argv: [String]) -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", String(cpu)] + argv.map { $0.replacingOccurrences(of: "PORT", with: String(port)) }
            process.standardInput = FileHandle.nullDevice
            return process
        }
        let server = pinned(0, system.server)
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !Self.accepts(port) {
            guard server.isRunning, ContinuousClock.now < deadline else { throw BenchError("\(system.name)'s server did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let startCPU = ProcessStats.cpuSeconds(server.processIdentifier)
        let monitor = RSSMonitor(pid: server.processIdentifier)
        let client = pinned(1, system.client)
        let out = Pipe()
        client.standardOutput = out
        try client.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        client.waitUntilExit()
        let serverCPU = ProcessStats.cpuSeconds(server.processIdentifier) - startCPU
        let peak = monitor.stop()
        let values = keyValues(String(decoding: data, as: UTF8.self))
        guard client.terminationStatus == 0, values["rate_256"] != nil else {
            throw BenchError("\(system.name)'s client failed (status \(client.terminationStatus)): \(String(decoding: data, as: UTF8.self))")
        }
        return Result(values: values, serverPeakRSS: peak, serverCPU: serverCPU)
    }

    private func table(_ r: [String: Result]) -> String {
        let names = ["crm", "grpc-swift-2", "gRPC C++", "floor"]
        func cells(_ value: (Result) -> String) -> String { names.map { r[$0].map(value) ?? "not built" }.joined(separator: " | ") }
        func ratio(_ a: Double?, _ b: Double?) -> Double? { guard let a, let b, b > 0 else { return nil }; return a / b }
        func target(_ value: Double?, _ format: String, _ text: String, _ ok: (Double) -> Bool) -> String {
            guard let value else { return "\(text): not measured" }
            return String(format: format, value) + " (\(text): \(ok(value) ? "met" : "not met"))"
        }
        let crm = r["crm"], swift = r["grpc-swift-2"], cpp = r["gRPC C++"], floor = r["floor"]
        var rows: [(String, String, String)] = [
            ("unary round trip p50", cells { String(format: "%.1f µs", $0.p50) }, [
                target(ratio(crm?.p50, floor?.p50), "%.2fx the floor", "<= 1.5x") { $0 <= 1.5 },
                target(ratio(crm?.p50, swift?.p50), "%.2fx grpc-swift-2", "< 1x") { $0 < 1 },
                target(ratio(crm?.p50, cpp?.p50), "%.2fx gRPC C++", "< 1x") { $0 < 1 },
            ].joined(separator: "; ")),
            ("unary round trip p99", cells { String(format: "%.1f µs", $0.p99) }, ""),
        ]
        for depth in [1, 16, 256] {
            let verdict = depth == 256 ? [
                target(ratio(crm?.rate(256), swift?.rate(256)), "%.2fx grpc-swift-2", ">= 3x") { $0 >= 3 },
                target(ratio(crm?.rate(256), cpp?.rate(256)), "%.2fx gRPC C++", ">= 1x") { $0 >= 1 },
            ].joined(separator: "; ") : ""
            rows.append(("calls/s, \(depth) in flight", cells { String(format: "%.0f", $0.rate(depth)) }, verdict))
        }
        rows.append(("server resident memory (peak)", cells { String(format: "%.1f MB", Double($0.serverPeakRSS) / 1e6) }, ""))
        rows.append(("CPU per call (client + server)", cells { String(format: "%.1f µs", $0.cpuPerCall) }, ""))
        var text = "| measurement | crm RPC | grpc-swift-2 | gRPC C++ | floor (C, TCP) | targets |\n|---|---|---|---|---|---|\n"
        for row in rows { text += "| \(row.0) | \(row.1) | \(row.2) |\n" }
        return text
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    /// The frame sizes of our Echo call with `payload` bytes each way.
    static func frameSizes(payload: Int) throws -> (Int, Int) {
        let request = TestingV1.EchoRequest(text: "ping", payload: [UInt8](repeating: 7, count: payload))
        let requestHeader = RpcV1.RequestHeader(callId: 1000, kind: .open, method: TestingV1.Echo.Method.echo.path)
        let responseHeader = RpcV1.ResponseHeader(callId: 1000, endOfStream: true, status: RpcV1.Status())
        let response = TestingV1.EchoResponse(text: request.text, payload: request.payload)
        return (8 + (try requestHeader.serializedBytes().count) + (try request.serializedBytes().count),
                8 + (try responseHeader.serializedBytes().count) + (try response.serializedBytes().count))
    }
}

/// The phases every client of the peers benchmark runs, in order, and the line it prints:
/// 2,000 warm-up calls; `roundTrips` timed one at a time (p50, p99); `roundTrips` calls with 1 in
/// flight, then `calls` with 16 and with 256; "p50_us= p99_us= rate_1= rate_16= rate_256= calls=
/// cpu_s=" (its own user + system time).
enum EchoPhases {
    /// The timed round trips (sorted, in microseconds) and the calls per second at 1, 16 and 256
    /// in flight.
    static func measure(_ echo: TestingV1.Echo.Client, _ request: TestingV1.EchoRequest, roundTrips: Int, calls: Int) async throws -> (samples: [Double], rates: [Int: Double]) {
        for _ in 0..<2_000 { _ = try await echo.echo(request) }
        var samples: [Double] = []
        samples.reserveCapacity(roundTrips)
        for _ in 0..<roundTrips {
            let start = ContinuousClock.now
            _ = try await echo.echo(request)
            samples.append((ContinuousClock.now - start).microseconds)
        }
        samples.sort()
        var rates: [Int: Double] = [:]
        for depth in [1, 16, 256] {
            let total = depth == 1 ? roundTrips : calls
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<depth {
                    let share = total / depth + (worker < total % depth ? 1 : 0)
                    group.addTask { for _ in 0..<share { _ = try await echo.echo(request) } }
                }
                try await group.waitForAll()
            }
            rates[depth] = Double(total) / (ContinuousClock.now - start).seconds
        }
        return (samples, rates)
    }

    /// The phases against crm-echo on `port`, and the line.
    static func run(port: Int, payload: Int, roundTrips: Int, calls: Int) async throws {
        let rpc = RPCClient(host: "127.0.0.1", port: port)
        let request = TestingV1.EchoRequest(text: "ping", payload: [UInt8](repeating: 7, count: payload))
        // On the connection's loop, as a latency-bound client of the runtime runs (RPCClient.executor).
        let (samples, rates) = try await withTaskExecutorPreference(rpc.executor) {
            try await measure(TestingV1.Echo.Client(rpc), request, roundTrips: roundTrips, calls: calls)
        }
        await rpc.close()
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        print(String(format: "p50_us=%.1f p99_us=%.1f rate_1=%.0f rate_16=%.0f rate_256=%.0f calls=%d cpu_s=%.3f",
                     samples[samples.count / 2], samples[samples.count * 99 / 100], rates[1]!, rates[16]!, rates[256]!, 2_000 + 2 * roundTrips + 2 * calls, cpu))
    }
}
