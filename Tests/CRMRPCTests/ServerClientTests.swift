import CRMAPI
import CRMWire
import NIOPosix
import Synchronization
import Testing
@testable import CRMRPC

@Suite("A real server and client over TCP", .timeLimit(.minutes(3)))
struct ServerClientTests {
    @Test("unary echo, and Health says SERVING with the hosted services")
    func unaryAndHealth() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let echo = TestingV1.Echo.Client(rpc)
        let reply = try await echo.echo(TestingV1.EchoRequest(text: "héllo", payload: [0, 1, 2]))
        #expect(reply.text == "héllo")
        #expect(reply.payload == [0, 1, 2])
        let health = try await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest())
        #expect(health.status == .serving)
        #expect(health.services.contains("crm.testing.v1.Echo"))
        let unknown = try await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest(service: "crm.nope.v1.Nope"))
        #expect(unknown.status == .serviceUnknown)
        #expect(RPCServer.healthCheck == RpcV1.Health.Method.check)
        await rpc.close()
        await server.shutdown()
    }

    @Test("a task that prefers the client's executor makes its calls, and resumes after each, on the connection's event loop")
    func callsOnTheConnectionsLoop() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let echo = TestingV1.Echo.Client(rpc)
        let resumedOnLoop = try await withTaskExecutorPreference(rpc.executor) {
            var onLoop: [Bool] = []
            for i in 0..<20 {
                let reply = try await echo.echo(TestingV1.EchoRequest(text: "n\(i)"))
                #expect(reply.text == "n\(i)")
                onLoop.append(MultiThreadedEventLoopGroup.currentEventLoop != nil)
            }
            // Child tasks keep the preference: 64 at once, all answered.
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<64 { group.addTask { try await echo.echo(TestingV1.EchoRequest(text: "c\(i)")).text } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(texts.count == 64)
            return onLoop
        }
        #expect(resumedOnLoop == Array(repeating: true, count: 20))
        // Without the preference a call resumes on the cooperative pool, as before.
        _ = try await echo.echo(TestingV1.EchoRequest(text: "pool"))
        #expect(MultiThreadedEventLoopGroup.currentEventLoop == nil)
        await rpc.close()
        await server.shutdown()
    }

    @Test("1,000 concurrent calls on one connection complete out of order, each with its own answer")
    func manyConcurrentCalls() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let echo = TestingV1.Echo.Client(rpc)
        let order = Probe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1000 {
                group.addTask {
                    // Later calls get shorter delays, so answers overtake each other.
                    let delay = UInt32((1000 - i) % 25)
                    let reply = try await echo.echo(TestingV1.EchoRequest(text: "call \(i)", payload: [UInt8(i % 256)], delayMs: delay))
                    #expect(reply.text == "call \(i)")
                    #expect(reply.payload == [UInt8(i % 256)])
                    order.record(String(i))
                }
            }
            try await group.waitForAll()
        }
        let completed = order.all.compactMap { Int($0) }
        #expect(completed.count == 1000)
        #expect(completed != completed.sorted(), "answers came back strictly in call order")
        await rpc.close()
        await server.shutdown()
    }

    @Test("a call past its deadline ends DEADLINE_EXCEEDED and the server cancels the handler")
    func deadline() async throws {
        let probe = Probe()
        let server = try await startServer(probe: probe)
        let rpc = client(for: server)
        // Connect first: a deadline that passes while connecting fails the call before it is sent.
        _ = try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest(text: "warm"))
        let error = await #expect(throws: RPCError.self) {
            let _: TestingV1.EchoResponse = try await rpc.unary(
                ProbeMethods.sleep, request: TestingV1.EchoRequest(text: "slow", delayMs: 10_000),
                options: CallOptions(timeout: .milliseconds(300)))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(await probe.waitFor("started:slow"))
        #expect(await probe.waitFor("cancelled:slow"))
        // The connection is still good.
        let reply = try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest(text: "after"))
        #expect(reply.text == "after")
        await rpc.close()
        await server.shutdown()
    }

    @Test("cancelling the calling task cancels the call on the server")
    func cancel() async throws {
        let probe = Probe()
        let server = try await startServer(probe: probe)
        let rpc = client(for: server)
        let task = Task {
            let _: TestingV1.EchoResponse = try await rpc.unary(ProbeMethods.sleep, request: TestingV1.EchoRequest(text: "doomed", delayMs: 10_000))
        }
        #expect(await probe.waitFor("started:doomed"))
        task.cancel()
        let result = await task.result
        #expect(throws: RPCError(.cancelled, "the call was cancelled")) { try result.get() }
        #expect(await probe.waitFor("cancelled:doomed"))
        await rpc.close()
        await server.shutdown()
    }

    @Test("metadata and the deadline reach the handler")
    func metadata() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let reply: TestingV1.EchoResponse = try await rpc.unary(
            ProbeMethods.metadata, request: TestingV1.EchoRequest(),
            options: CallOptions(timeout: .seconds(5), metadata: Metadata(idempotencyKey: "key-1", traceID: "trace-7")))
        #expect(reply.text == "trace-7|key-1|true")
        await rpc.close()
        await server.shutdown()
    }

    @Test("an unknown method is UNIMPLEMENTED; a handler's error reaches the client with its code")
    func errors() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let unknown = MethodDescriptor(service: "crm.nope.v1.Nope", method: "Nothing", kind: .unary)
        let error = await #expect(throws: RPCError.self) {
            let _: TestingV1.EchoResponse = try await rpc.unary(unknown, request: TestingV1.EchoRequest())
        }
        #expect(error?.code == .unimplemented)
        #expect(error?.message.contains("/crm.nope.v1.Nope/Nothing") == true)
        let failed = await #expect(throws: RPCError.self) {
            try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest(failWithCode: 9))
        }
        #expect(failed?.code == .failedPrecondition)
        await rpc.close()
        await server.shutdown()
    }

    @Test("server streaming sends every message in order, then the status")
    func streaming() async throws {
        let server = try await startServer()
        let rpc = client(for: server)
        let echo = TestingV1.Echo.Client(rpc)
        var indexes: [UInt32] = []
        for try await message in echo.echoStream(TestingV1.EchoRequest(text: "s", count: 50)) {
            indexes.append(message.index)
        }
        #expect(indexes == Array(0..<50))
        var received = 0
        let error = await #expect(throws: RPCError.self) {
            for try await _ in echo.echoStream(TestingV1.EchoRequest(failWithCode: 14, count: 3)) { received += 1 }
        }
        #expect(received == 3)
        #expect(error?.code == .unavailable)
        await rpc.close()
        await server.shutdown()
    }

    @Test("a body that does not decode is INVALID_ARGUMENT naming the field; the connection stays open")
    func badBody() async throws {
        let server = try await startServer()
        let raw = try RawConnection(port: server.port!)
        // EchoRequest.text = "\xff"
        try raw.sendCall(id: 1, method: TestingV1.Echo.Method.echo.path, body: [0x0a, 0x01, 0xff])
        let answer = try #require(try await raw.readFrame())
        #expect(answer.header.callId == 1)
        #expect(answer.header.status?.code == .invalidArgument)
        #expect(answer.header.status?.violations.first?.field == "text")
        try raw.sendCall(id: 2, method: TestingV1.Echo.Method.echo.path, body: [0x0a, 0x02, 0x6f, 0x6b])
        let ok = try #require(try await raw.readFrame())
        #expect(ok.header.callId == 2)
        #expect(ok.header.status?.code == .ok)
        #expect(try TestingV1.EchoResponse(serializedBytes: ok.body).text == "ok")
        await server.shutdown()
    }

    @Test("an oversized frame closes that connection only")
    func oversizedFrame() async throws {
        let server = try await startServer { $0.frameLimits = FrameLimits(maxFrameSize: 1024) }
        let raw = try RawConnection(port: server.port!)
        raw.send([0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])  // L = 1 MiB
        let answer = try #require(try await raw.readFrame())
        #expect(answer.header.callId == 0)
        #expect(answer.header.status?.code == .resourceExhausted)
        #expect(await raw.isClosedByPeer())
        // Other clients are served.
        let rpc = client(for: server)
        #expect(try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest(text: "fine")).text == "fine")
        // A client's own oversized request is refused before it is sent.
        let error = await #expect(throws: RPCError.self) {
            try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest(payload: [UInt8](repeating: 1, count: 5 * 1024 * 1024)))
        }
        #expect(error?.code == .resourceExhausted)
        await rpc.close()
        await server.shutdown()
    }

    @Test("garbage bytes close that connection with an error frame")
    func garbage() async throws {
        let server = try await startServer()
        let raw = try RawConnection(port: server.port!)
        raw.sendFrame(header: [0xff, 0xff, 0xff], body: [])
        let answer = try #require(try await raw.readFrame())
        #expect(answer.header.callId == 0)
        #expect(answer.header.status?.code == .invalidArgument)
        #expect(await raw.isClosedByPeer())
        let second = try RawConnection(port: server.port!)
        second.sendFrame(header: [0, 0, 0, 0, 0, 0, 0, 0], body: [1])  // header length past the frame is caught by framing too
        #expect(try await second.readFrame()?.header.callId == 0)
        await server.shutdown()
    }

    @Test("calls over the per-connection limit are RESOURCE_EXHAUSTED")
    func inFlightLimit() async throws {
        let server = try await startServer { $0.maxConcurrentCallsPerConnection = 2 }
        let raw = try RawConnection(port: server.port!)
        let slow = try TestingV1.EchoRequest(text: "x", delayMs: 300).serializedBytes()
        for id in 1...3 { try raw.sendCall(id: UInt64(id), method: TestingV1.Echo.Method.echo.path, body: slow) }
        let first = try #require(try await raw.readFrame())
        #expect(first.header.callId == 3)
        #expect(first.header.status?.code == .resourceExhausted)
        let rest = [try await raw.readFrame(), try await raw.readFrame()].compactMap { $0 }
        #expect(Set(rest.map(\.header.callId)) == [1, 2])
        #expect(rest.allSatisfy { $0.header.status?.code == .ok })
        await server.shutdown()
    }

    @Test("an idle connection is closed")
    func idleTimeout() async throws {
        let server = try await startServer { $0.idleTimeout = .milliseconds(200) }
        let raw = try RawConnection(port: server.port!)
        #expect(await raw.isClosedByPeer())
        await server.shutdown()
    }

    @Test("shutdown lets calls in flight finish, refuses new ones, and ends stragglers after the grace period")
    func gracefulShutdown() async throws {
        let probe = Probe()
        let server = try await startServer(probe: probe)
        let rpc = client(for: server)
        let inFlight = Task { () throws -> TestingV1.EchoResponse in
            try await rpc.unary(ProbeMethods.sleep, request: TestingV1.EchoRequest(text: "draining", delayMs: 300))
        }
        #expect(await probe.waitFor("started:draining"))
        await server.shutdown(gracePeriod: .seconds(10))
        #expect(try await inFlight.value.text == "draining")
        let refused = await #expect(throws: RPCError.self) {
            try await TestingV1.Echo.Client(rpc).echo(TestingV1.EchoRequest())
        }
        #expect(refused?.code == .unavailable)
        await rpc.close()

        let second = try await startServer(probe: probe)
        let rpc2 = client(for: second)
        let straggler = Task { () throws -> TestingV1.EchoResponse in
            try await rpc2.unary(ProbeMethods.sleep, request: TestingV1.EchoRequest(text: "straggler", delayMs: 10_000))
        }
        #expect(await probe.waitFor("started:straggler"))
        await second.shutdown(gracePeriod: .milliseconds(200))
        let error = await #expect(throws: RPCError.self) { try await straggler.value }
        #expect(error?.code == .unavailable)
        #expect(await probe.waitFor("cancelled:straggler"))
        await rpc2.close()
    }

    @Test("the client reconnects after the server restarts on the same port")
    func reconnect() async throws {
        let server = try await startServer()
        let port = server.port!
        let rpc = client(for: server) { $0.initialBackoff = .milliseconds(20) }
        let echo = TestingV1.Echo.Client(rpc)
        #expect(try await echo.echo(TestingV1.EchoRequest(text: "one")).text == "one")
        await server.shutdown()
        let down = await #expect(throws: RPCError.self) { try await echo.echo(TestingV1.EchoRequest()) }
        #expect(down?.code == .unavailable)
        let restarted = try await startServer(port: port)
        #expect(try await echo.echo(TestingV1.EchoRequest(text: "two"), options: CallOptions(timeout: .seconds(10), waitForReady: true)).text == "two")
        await rpc.close()
        await restarted.shutdown()
    }
}
