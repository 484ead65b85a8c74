import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import NIOCore

/// What the fuzzer feeds with arbitrary bytes: every parser a client's bytes reach before any
/// business rule. Each must refuse bad input with an error, never crash; and what it accepts
/// must survive a round trip unchanged (checked with `precondition`, so that a wrong answer is
/// a crash the fuzzer reports, like an out-of-bounds read).
public enum FuzzTargets {
    public enum Target: String, CaseIterable, Sendable {
        case frame, wire, json, csv
    }

    public static func run(_ target: Target, _ bytes: [UInt8]) {
        switch target {
        case .frame: frames(bytes)
        case .wire: wire(bytes)
        case .json: json(bytes)
        case .csv: csv(bytes)
        }
    }

    /// A connection's byte stream: frames split as a server splits them, each header decoded
    /// with a server's limits.
    static func frames(_ bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        let limits = FrameLimits(maxFrameSize: 64 * 1024, maxHeaderSize: 1024)
        while true {
            guard case .frame(let frame)? = try? Frame.next(from: &buffer, limits: limits) else { return }
            let header = frame.header.withUnsafeReadableBytes { raw in try? RpcV1.RequestHeader(serializedBytes: raw, limits: .requests) }
            if let header { roundTrip(header) }
        }
    }

    /// A request body, as each of several messages (every kind of field among them).
    static func wire(_ bytes: [UInt8]) {
        decodeAndRoundTrip(TestingV1.AllKinds.self, bytes)
        decodeAndRoundTrip(LeadsV1.CreateLeadRequest.self, bytes)
        decodeAndRoundTrip(LeadsV1.ListLeadsRequest.self, bytes)
        decodeAndRoundTrip(LeadsV1.ImportLeadsRequest.self, bytes)
        decodeAndRoundTrip(ActivitiesV1.ScheduleActivityRequest.self, bytes)
        decodeAndRoundTrip(CommsV1.SendRequest.self, bytes)
    }

    /// `crm call`'s JSON: parsed, encoded as a message, decoded back to JSON and encoded again
    /// to the same message.
    static func json(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self), let value = try? JSONValue(parsing: text) else { return }
        _ = value.text(pretty: false)
        for name in ["crm.testing.v1.AllKinds", "crm.leads.v1.CreateLeadRequest"] {
            guard let type = ProtoCatalog.message(named: name), let encoded = try? ProtoJSON.encode(value, as: type) else { continue }
            guard let back = try? ProtoJSON.json(from: encoded, as: type) else {
                preconditionFailure("\(name): the encoding of accepted JSON does not decode")
            }
            guard let again = try? ProtoJSON.encode(back, as: type) else { preconditionFailure("\(name): JSON written by ProtoJSON is refused") }
            if name == "crm.testing.v1.AllKinds" {
                let first = try? TestingV1.AllKinds(serializedBytes: encoded).serializedBytes(), second = try? TestingV1.AllKinds(serializedBytes: again).serializedBytes()
                precondition(first == second, "\(name): a JSON round trip changed the message")
            }
        }
    }

    /// An import file: parsed whole, and split into chunks whose rows are the whole file's.
    static func csv(_ bytes: [UInt8]) {
        guard let whole = try? CSV.parse(bytes) else {
            _ = CSV.chunks(bytes, maxBytes: 64, maxRecords: 3)
            return
        }
        let (header, chunks) = CSV.chunks(bytes, maxBytes: 64, maxRecords: 3)
        var rows: [[String]] = []
        for chunk in chunks {
            guard let part = try? CSV.parse(Array(header) + Array(chunk.bytes)) else { preconditionFailure("a chunk of a valid file does not parse") }
            rows += part.dropFirst().map(\.fields)
        }
        precondition(rows == whole.dropFirst().map(\.fields), "chunks hold other rows than the file")
    }

    private static func decodeAndRoundTrip<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) {
        guard let message = try? M(serializedBytes: bytes, limits: .requests) else { return }
        roundTrip(message)
    }

    /// What decoded encodes, decodes, and encodes to the same bytes again (bytes, not `==`: a
    /// NaN float is never equal to itself, as the fuzzer's first find showed).
    private static func roundTrip<M: WireMessage>(_ message: M) {
        guard let bytes = try? message.serializedBytes() else { preconditionFailure("\(M.protoMessageName): a decoded message does not encode") }
        guard let again = try? M(serializedBytes: bytes, limits: .requests) else { preconditionFailure("\(M.protoMessageName): its own encoding does not decode") }
        precondition((try? again.serializedBytes()) == bytes, "\(M.protoMessageName): a round trip changed the message")
    }
}
