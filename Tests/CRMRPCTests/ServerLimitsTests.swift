import CRMAPI
import CRMWire
import Foundation
import Testing
@testable import CRMRPC

/// Clients that open many connections, or start frames and never finish them, against the
/// server's limits: every refusal is a connection error naming the limit, and nothing is held.
@Suite("The server's limits on connections and incomplete frames", .serialized, .timeLimit(.minutes(2)))
struct ServerLimitsTests {
    static let echo = TestingV1.Echo.Method.echo.path

    func echoBody(_ text: String, payload: Int = 0) throws -> [UInt8] {
        try TestingV1.EchoRequest(text: text, payload: [UInt8](repeating: 1, count: payload)).serializedBytes()
    }

    @Test("past the connections one address may open, the next is told RESOURCE_EXHAUSTED and closed; closing one makes room")
    func connectionsPerPeer() async throws {
        let server = try await startServer { $0.maxConnectionsPerPeer = 2 }
        let first = try RawConnection(port: server.port!), second = try RawConnection(port: server.port!)
        for raw in [first, second] {
            try raw.sendCall(id: 1, method: Self.echo, body: try echoBody("hi"))
            #expect(try await raw.readFrame()?.header.status?.code == .ok)
        }
        let third = try RawConnection(port: server.port!)
        let refused = try #require(try await third.readFrame())
        #expect(refused.header.callId == 0 && refused.header.status?.code == .resourceExhausted)
        #expect(refused.header.status?.message.contains("limit of 2 connections") == true)
        #expect(await third.isClosedByPeer())
        // The first closed: a new connection is served (the count drops once the close is seen).
        first.closeNow()
        var served = false
        for _ in 0..<100 where !served {
            let again = try RawConnection(port: server.port!)
            try again.sendCall(id: 1, method: Self.echo, body: try echoBody("again"))
            served = try await again.readFrame()?.header.status?.code == .ok
            if !served { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(served)
        await server.shutdown()
    }

    @Test("a frame that starts and does not finish within the deadline ends its connection with DEADLINE_EXCEEDED")
    func frameDeadline() async throws {
        let server = try await startServer { $0.frameDeadline = .seconds(1) }
        let raw = try RawConnection(port: server.port!)
        raw.send([0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x02])  // 256 bytes announced, 2 sent
        let started = ContinuousClock.now
        let answer = try #require(try await raw.readFrame())
        #expect(answer.header.callId == 0 && answer.header.status?.code == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await raw.isClosedByPeer())
        #expect(server.admission.bufferedFrameBytes == 0)
        // A whole frame in several pieces, each in time, is served.
        let slow = try RawConnection(port: server.port!)
        let header = try RpcV1.RequestHeader(callId: 7, kind: .open, method: Self.echo).serializedBytes()
        let body = try echoBody("slow")
        var bytes: [UInt8] = []
        for v in [UInt32(4 + header.count + body.count), UInt32(header.count)] {
            bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        bytes += header + body
        slow.send(Array(bytes.prefix(5)))
        try await Task.sleep(for: .milliseconds(100))
        slow.send(Array(bytes.dropFirst(5)))
        #expect(try await slow.readFrame()?.header.status?.code == .ok)
        await server.shutdown()
    }

    @Test("incomplete frames share a budget: a frame that would pass it is RESOURCE_EXHAUSTED; a finished one gives its room back")
    func bufferedBudget() async throws {
        let server = try await startServer { $0.maxBufferedFrameBytes = 1_000_000 }
        let header = try RpcV1.RequestHeader(callId: 1, kind: .open, method: Self.echo).serializedBytes()
        let body = try echoBody("big", payload: 600_000)
        var frame: [UInt8] = []
        for v in [UInt32(4 + header.count + body.count), UInt32(header.count)] {
            frame += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        }
        frame += header + body
        let holder = try RawConnection(port: server.port!)
        holder.send(Array(frame.prefix(1_000)))
        for _ in 0..<100 where server.admission.bufferedFrameBytes == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.admission.bufferedFrameBytes == frame.count)
        let second = try RawConnection(port: server.port!)
        second.send(Array(frame.prefix(1_000)))
        let refused = try #require(try await second.readFrame())
        #expect(refused.header.callId == 0 && refused.header.status?.code == .resourceExhausted)
        #expect(await second.isClosedByPeer())
        // The first finishes its frame: it is answered, and its room is free again.
        holder.send(Array(frame.dropFirst(1_000)))
        let answer = try #require(try await holder.readFrame())
        #expect(answer.header.callId == 1 && answer.header.status?.code == .ok)
        #expect(server.admission.bufferedFrameBytes == 0)
        // A connection dropped halfway gives its room back too.
        let quitter = try RawConnection(port: server.port!)
        quitter.send(Array(frame.prefix(1_000)))
        for _ in 0..<100 where server.admission.bufferedFrameBytes == 0 { try await Task.sleep(for: .milliseconds(10)) }
        quitter.closeNow()
        for _ in 0..<200 where server.admission.bufferedFrameBytes != 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.admission.bufferedFrameBytes == 0)
        await server.shutdown()
    }
}
