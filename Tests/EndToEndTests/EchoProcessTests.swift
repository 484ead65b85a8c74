import CRMAPI
import CRMRPC
import CRMWire
import Testing

@Suite("crm-echo as a real process", .timeLimit(.minutes(3)))
struct EchoProcessTests {
    @Test("serves Health and Echo over TCP, logs each call, and drains a call in flight on SIGTERM")
    func lifecycle() async throws {
        let service = try await ServiceProcess("crm-echo", arguments: ["--grace-period", "10"])
        let rpc = RPCClient(host: "127.0.0.1", port: service.port)
        let health = try await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest(service: "crm.testing.v1.Echo"))
        #expect(health.status == .serving)
        #expect(health.version == "0.1.0")
        let echo = TestingV1.Echo.Client(rpc)
        #expect(try await echo.echo(TestingV1.EchoRequest(text: "über")).text == "über")

        // A call in flight when SIGTERM arrives still gets its answer.
        // (The margins are wide so that a loaded machine still delivers the call before SIGTERM.)
        let inFlight = Task { try await echo.echo(TestingV1.EchoRequest(text: "last", delayMs: 2_000)) }
        try await Task.sleep(for: .milliseconds(700))
        let status = await service.terminate()
        #expect(try await inFlight.value.text == "last")
        #expect(status == 0, "\(service.logText)")
        #expect(service.logText.contains("method=/crm.testing.v1.Echo/Echo"))
        #expect(service.logText.contains("code=OK"))
        await rpc.close()
    }

    @Test("a bad setting exits with a usage error naming it")
    func badSetting() async throws {
        do {
            _ = try await ServiceProcess("crm-echo", environment: ["CRM_LOG_LEVEL": "loud"])
            Issue.record("crm-echo started with a bad log level")
        } catch let error as ProcessError {
            #expect(error.description.contains("log-level loud"), "\(error.description)")
        }
    }
}
