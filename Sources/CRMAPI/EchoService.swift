import CRMRPC
import CRMWire

/// The implementation of `crm.testing.v1.Echo` that tests, the C interop client and the
/// benchmark run against. It does what the contract says and nothing else.
public struct EchoService: TestingV1.Echo.ServiceProtocol {
    public init() {}

    public func echo(request: TestingV1.EchoRequest, context: ServerContext) async throws -> TestingV1.EchoResponse {
        try await pause(request.delayMs)
        if request.failWithCode != 0 {
            throw RPCError(RPCError.Code(protoValue: Int32(truncatingIfNeeded: request.failWithCode)), "failing as asked")
        }
        return TestingV1.EchoResponse(text: request.text, payload: request.payload)
    }

    public func echoStream(request: TestingV1.EchoRequest, response: ResponseWriter<TestingV1.EchoResponse>, context: ServerContext) async throws {
        for index in 0..<request.count {
            if index > 0 { try await pause(request.delayMs) }
            try await response.write(TestingV1.EchoResponse(text: request.text, payload: request.payload, index: index))
        }
        if request.failWithCode != 0 {
            throw RPCError(RPCError.Code(protoValue: Int32(truncatingIfNeeded: request.failWithCode)), "failing as asked")
        }
    }

    public func roundTrip(request: TestingV1.RoundTripRequest, context: ServerContext) async throws -> TestingV1.RoundTripResponse {
        TestingV1.RoundTripResponse(value: request.value)
    }

    private func pause(_ milliseconds: UInt32) async throws {
        if milliseconds > 0 { try await Task.sleep(for: .milliseconds(Int(milliseconds))) }
    }
}
