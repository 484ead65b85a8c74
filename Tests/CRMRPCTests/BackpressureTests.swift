import CRMAPI
import CRMWire
import Foundation
import Testing
@testable import CRMRPC

/// Clients that send calls and do not read the answers, or close their sending side after the
/// last call (issue 18 items 3 and 10).
@Suite("Backpressure and half-closed connections", .serialized, .timeLimit(.minutes(2)))
struct BackpressureTests {
    func inflate(_ text: String, kib: UInt32) throws -> [UInt8] {
        try TestingV1.EchoRequest(text: text, count: kib).serializedBytes()
    }

    @Test("a client that pipelines 400 calls of 256 KiB answers and reads none holds a bounded number of bytes; others are served; when it reads, every call has its answer")
    func nonReadingClient() async throws {
        let perConnection = 1024 * 1024
        let server = try await startServer {
            $0.maxUnsentBytesPerConnection = perConnection
            $0.maxUnsentBytes = 64 * 1024 * 1024
        }
        let greedy = try RawConnection(port: server.port!)
        for id in 1...400 as ClosedRange<UInt64> {
            try greedy.sendCall(id: id, method: ProbeMethods.inflate.path, body: try inflate("\(id)", kib: 256))
        }
        // 100 MiB of answers asked for; what the server holds stays near its bound.
        var peak = 0
        for _ in 0..<20 {
            peak = max(peak, server.admission.unsentBytes)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(peak > 0 && peak <= 4 * perConnection + 300 * 1024, "peak \(peak)")
        // Another client is served at once.
        let honest = client(for: server)
        let started = ContinuousClock.now
        let echoed = try await TestingV1.Echo.Client(honest).echo(TestingV1.EchoRequest(text: "still here"))
        #expect(echoed.text == "still here" && ContinuousClock.now - started < .seconds(2))
        await honest.close()

        // The greedy client reads at last: every call is answered, in full or refused as too
        // much unread, and none is lost.
        var answered: Set<UInt64> = []
        var full = 0
        while answered.count < 400, let frame = try await greedy.readFrame() {
            answered.insert(frame.header.callId)
            switch frame.header.status?.code {
            case .ok?:
                full += 1
                #expect(try TestingV1.EchoResponse(serializedBytes: frame.body).payload.count == 256 * 1024)
            case .resourceExhausted?: break
            default: Issue.record("unexpected status \(String(describing: frame.header.status))")
            }
        }
        #expect(answered.count == 400 && full > 0)
        try await Task.sleep(for: .milliseconds(100))
        #expect(server.admission.unsentBytes == 0)
        await server.shutdown()
    }

    @Test("a call followed at once by a half-close is answered before the connection closes")
    func halfClosed() async throws {
        let server = try await startServer()
        let raw = try RawConnection(port: server.port!)
        try raw.sendCall(id: 1, method: ProbeMethods.inflate.path, body: try inflate("one", kib: 512))
        try raw.sendCall(id: 2, method: TestingV1.Echo.Method.echo.path, body: try TestingV1.EchoRequest(text: "two").serializedBytes())
        raw.shutdownWrite()
        var seen: [UInt64: Bool] = [:]
        while let frame = try await raw.readFrame() { seen[frame.header.callId] = frame.header.status?.code == .ok }
        #expect(seen == [1: true, 2: true])
        await server.shutdown()
    }

    @Test("of 200 slow calls pipelined on one connection, 32 run at once and the rest wait their turn; every one is answered, and a waiting one can be cancelled")
    func runningCallsBounded() async throws {
        let probe = Probe()
        let server = try await startServer(probe: probe) { $0.maxRunningCallsPerConnection = 32 }
        let raw = try RawConnection(port: server.port!)
        for id in 1...200 as ClosedRange<UInt64> {
            try raw.sendCall(id: id, method: ProbeMethods.sleep.path, body: try TestingV1.EchoRequest(text: "\(id)", delayMs: 50).serializedBytes())
        }
        let cancel = try RpcV1.RequestHeader(callId: 200, kind: .cancel).serializedBytes()
        raw.sendFrame(header: cancel, body: [])
        var answered: Set<UInt64> = []
        while answered.count < 199, let frame = try await raw.readFrame() {
            #expect(frame.header.status?.code == .ok)
            answered.insert(frame.header.callId)
        }
        #expect(answered == Set(1...199))
        // The most that ran at once, from the order of starts and finishes.
        var running = 0, most = 0
        for event in probe.all {
            if event.hasPrefix("started:") { running += 1; most = max(most, running) }
            if event.hasPrefix("finished:") || event.hasPrefix("cancelled:") { running -= 1 }
        }
        #expect(most <= 32 && most >= 16, "at most \(most) ran at once")
        #expect(!probe.all.contains("started:200"))  // cancelled while it waited
        await server.shutdown()
    }
}
