import CRMAPI
import CRMWire
import Synchronization
@testable import CRMRPC

/// Records what handlers saw, so tests can check that the server really cancelled them.
final class Probe: Sendable {
    private let events = Mutex<[String]>([])
    func record(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }

    /// Waits (bounded) until `event` has been recorded.
    func waitFor(_ event: String) async -> Bool {
        for _ in 0..<500 {
            if all.contains(event) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

enum ProbeMethods {
    /// Sleeps for delay_ms, recording "cancelled:<text>" if it is cancelled first.
    static let sleep = MethodDescriptor(service: "test.Probe", method: "Sleep", kind: .unary)
    /// Answers the call's trace id and idempotency key.
    static let metadata = MethodDescriptor(service: "test.Probe", method: "Metadata", kind: .unary)
    /// Answers `count` KiB of payload, after one suspension (as a handler that reads a database).
    static let inflate = MethodDescriptor(service: "test.Probe", method: "Inflate", kind: .unary)
}

/// A real server on a free port with the Echo service and the probe methods.
func startServer(
    probe: Probe = Probe(),
    port: Int = 0,
    configure: (inout RPCServerConfiguration) -> Void = { _ in }
) async throws -> RPCServer {
    var router = RPCRouter()
    router.register(EchoService())
    router.registerUnary(ProbeMethods.sleep) { (request: TestingV1.EchoRequest, _) -> TestingV1.EchoResponse in
        probe.record("started:\(request.text)")
        do {
            try await Task.sleep(for: .milliseconds(Int(request.delayMs)))
        } catch {
            probe.record("cancelled:\(request.text)")
            throw error
        }
        probe.record("finished:\(request.text)")
        return TestingV1.EchoResponse(text: request.text)
    }
    router.registerUnary(ProbeMethods.metadata) { (_: TestingV1.EchoRequest, context) -> TestingV1.EchoResponse in
        TestingV1.EchoResponse(text: "\(context.metadata.traceID)|\(context.metadata.idempotencyKey)|\(context.deadline != nil)")
    }
    router.registerUnary(ProbeMethods.inflate) { (request: TestingV1.EchoRequest, _) -> TestingV1.EchoResponse in
        await Task.yield()
        return TestingV1.EchoResponse(text: request.text, payload: [UInt8](repeating: 7, count: Int(request.count) * 1024))
    }
    var configuration = RPCServerConfiguration(host: "127.0.0.1", port: port)
    configure(&configuration)
    let server = RPCServer(configuration: configuration, router: router)
    try await server.start()
    return server
}

func client(for server: RPCServer, configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient {
    var configuration = RPCClientConfiguration(host: "127.0.0.1", port: server.port!)
    configure(&configuration)
    return RPCClient(configuration: configuration)
}
