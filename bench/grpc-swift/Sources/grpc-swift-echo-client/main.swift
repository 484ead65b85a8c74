import EchoProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// The peers benchmark's phases (crm-bench's EchoPhases), with grpc-swift-2's client on one
/// HTTP/2 connection: 2,000 warm-up calls, ROUND_TRIPS timed one at a time, ROUND_TRIPS with 1 in
/// flight, CALLS with 16 and with 256; then one line of results.
let arguments = CommandLine.arguments
guard arguments.count == 5, let port = Int(arguments[1]), let payload = Int(arguments[2]), let roundTrips = Int(arguments[3]), let calls = Int(arguments[4]) else {
    print("usage: grpc-swift-echo-client PORT PAYLOAD ROUND_TRIPS CALLS")
    exit(2)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

try await withGRPCClient(transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { client in
    let echo = Crm_Testing_V1_Echo.Client(wrapping: client)
    var request = Crm_Testing_V1_EchoRequest()
    request.text = "ping"
    request.payload = Data(repeating: 7, count: payload)
    let message = request
    for _ in 0..<2_000 { _ = try await echo.echo(message) }
    var samples: [Double] = []
    samples.reserveCapacity(roundTrips)
    for _ in 0..<roundTrips {
        let start = ContinuousClock.now
        _ = try await echo.echo(message)
        samples.append((ContinuousClock.now - start).seconds * 1e6)
    }
    samples.sort()
    var rates: [Int: Double] = [:]
    for depth in [1, 16, 256] {
        let total = depth == 1 ? roundTrips : calls
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<depth {
                let share = total / depth + (worker < total % depth ? 1 : 0)
                group.addTask { for _ in 0..<share { _ = try await echo.echo(message) } }
            }
            try await group.waitForAll()
        }
        rates[depth] = Double(total) / (ContinuousClock.now - start).seconds
    }
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    print(String(format: "p50_us=%.1f p99_us=%.1f rate_1=%.0f rate_16=%.0f rate_256=%.0f calls=%d cpu_s=%.3f",
                 samples[samples.count / 2], samples[samples.count * 99 / 100], rates[1]!, rates[16]!, rates[256]!, 2_000 + 2 * roundTrips + 2 * calls, cpu))
}
