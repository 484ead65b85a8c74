import Testing
@testable import CRMWire
import CRMWireFormat

@Suite("Decoding refuses what protobuf-c would let through", .timeLimit(.minutes(3)))
struct DecodeValidationTests {
    /// A string field with a one-byte tag (number < 16) and the given raw bytes.
    func stringField(_ number: UInt8, _ raw: [UInt8]) -> [UInt8] {
        precondition(number < 16)
        return [number << 3 | 2, UInt8(raw.count)] + raw
    }

    func expectError(_ bytes: [UInt8], _ reason: WireError.Reason, field: String, limits: DecodeLimits = DecodeLimits()) {
        do {
            _ = try TestingV1.AllKinds(serializedBytes: bytes, limits: limits)
            Issue.record("decoded \(bytes.prefix(16)) without error")
        } catch {
            #expect(error.reason == reason)
            #expect(error.field == field)
        }
    }

    @Test("invalid UTF-8 is INVALID_ARGUMENT naming the field")
    func invalidUTF8() {
        expectError(stringField(14, [0x61, 0xff, 0x62]), .invalidUTF8, field: "f_string")
        expectError(stringField(14, [0xc0, 0x80]), .invalidUTF8, field: "f_string")  // overlong NUL
        expectError(stringField(14, [0xed, 0xa0, 0x80]), .invalidUTF8, field: "f_string")  // surrogate
        expectError(stringField(14, [0xf4, 0x90, 0x80, 0x80]), .invalidUTF8, field: "f_string")  // > U+10FFFF
        expectError(stringField(14, [0xe2, 0x82]), .invalidUTF8, field: "f_string")  // truncated
    }

    @Test("an embedded NUL is refused, never truncated")
    func embeddedNUL() {
        expectError(stringField(14, [0x61, 0x00, 0x62]), .containsNUL, field: "f_string")
        // In a oneof member (c_text = 40: a two-byte tag).
        expectError([0xc2, 0x02, 0x01, 0x00], .containsNUL, field: "c_text")
    }

    @Test("a repeated field past the limit is refused before decoding, naming the field: strings, messages and packed scalars alike")
    func tooManyElements() throws {
        let limits = DecodeLimits(maxRepeated: 10_000)
        func create(emails: Int) throws -> [UInt8] {
            try LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "A", emails: Array(repeating: "a@example.com", count: emails))).serializedBytes()
        }
        #expect(try LeadsV1.CreateLeadRequest(serializedBytes: try create(emails: 10_000), limits: limits).lead?.emails.count == 10_000)
        let strings = #expect(throws: WireError.self) { try LeadsV1.CreateLeadRequest(serializedBytes: try create(emails: 270_000), limits: limits) }
        #expect(strings?.reason == .tooManyElements(10_000) && strings?.field == "lead.emails")
        // Packed ids: 10,001 one-byte varints in one occurrence.
        let ids = try LeadsV1.AssignLeadsRequest(ids: Array(repeating: 5, count: 10_001)).serializedBytes()
        let packed = #expect(throws: WireError.self) { try LeadsV1.AssignLeadsRequest(serializedBytes: ids, limits: limits) }
        #expect(packed?.reason == .tooManyElements(10_000) && packed?.field == "ids")
        // The count is over the whole message, however the elements are split into occurrences.
        let twice = try LeadsV1.AssignLeadsRequest(ids: Array(repeating: 5, count: 6_000)).serializedBytes()
        let split = #expect(throws: WireError.self) { try LeadsV1.AssignLeadsRequest(serializedBytes: twice + twice, limits: limits) }
        #expect(split?.reason == .tooManyElements(10_000))
        #expect(try LeadsV1.AssignLeadsRequest(serializedBytes: ids).ids.count == 10_001)  // the default limit is a client's
    }

    @Test("an embedded NUL cannot be encoded either")
    func encodeNUL() {
        #expect(throws: WireError(.containsNUL, field: "label")) {
            try TestingV1.Inner(label: "a\u{0}b").serializedBytes()
        }
        #expect(throws: WireError(.containsNUL, field: "r_string")) {
            try TestingV1.AllKinds(rString: ["ok", "no\u{0}"]).serializedBytes()
        }
    }

    @Test("errors in nested and repeated messages carry the path")
    func nestedPath() throws {
        let good = try TestingV1.Inner(label: "ok").serializedBytes()
        let bad: [UInt8] = [0x0a, 0x02, 0x61, 0xff]  // Inner.label = "a\xff"
        // r_inner = 26: two good, then a bad one.
        var bytes: [UInt8] = []
        for inner in [good, good, bad] { bytes += [0xd2, 0x01, UInt8(inner.count)] + inner }
        expectError(bytes, .invalidUTF8, field: "r_inner[2].label")
        // f_inner = 17.
        expectError([0x8a, 0x01, UInt8(bad.count)] + bad, .invalidUTF8, field: "f_inner.label")
    }

    @Test("malformed input is an error, not a crash")
    func malformed() {
        let cases: [[UInt8]] = [
            [0x08],  // tag with no value
            [0x08, 0xff, 0xff],  // truncated varint
            [0x72, 0x05, 0x61],  // length past the end
            [0x00, 0x01],  // field number 0
            [0x0b, 0x0c],  // a group
            [0x08] + Array(repeating: 0xff, count: 10) + [0x01],  // varint over 64 bits
        ]
        for bytes in cases {
            #expect(throws: WireError.self, "\(bytes)") { try TestingV1.AllKinds(serializedBytes: bytes) }
        }
        // A wire type protobuf-c itself rejects for the field: f_string as a varint.
        #expect(throws: WireError.self) { try TestingV1.AllKinds(serializedBytes: [0x70, 0x01]) }
    }

    @Test("the allocation budget stops amplification attacks")
    func budget() throws {
        // 20,000 empty Inner messages: 3 bytes each on the wire, a whole struct each in C.
        let bytes = Array([[UInt8]](repeating: [0xd2, 0x01, 0x00], count: 20_000).joined())
        expectError(bytes, .budgetExceeded, field: "", limits: DecodeLimits(bytesPerInputByte: 4, minimumBudget: 1024))
        // The default budget still decodes ordinary large messages.
        var big = TestingV1.AllKinds()
        big.rString = (0..<5_000).map { "item \($0)" }
        #expect(try TestingV1.AllKinds(serializedBytes: try big.serializedBytes()) == big)
    }

    @Test("nesting deeper than the limit is refused")
    func depth() throws {
        let request = TestingV1.RoundTripRequest(value: TestingV1.AllKinds(fInner: TestingV1.Inner(label: "deep")))
        let bytes = try request.serializedBytes()
        #expect(try TestingV1.RoundTripRequest(serializedBytes: bytes, limits: DecodeLimits(maxDepth: 2)) == request)
        #expect(throws: WireError.self) {
            try TestingV1.RoundTripRequest(serializedBytes: bytes, limits: DecodeLimits(maxDepth: 1))
        }
    }
}

@Suite("UTF-8 validation", .timeLimit(.minutes(3)))
struct UTF8CheckTests {
    func check(_ bytes: [UInt8]) -> UTF8Check { bytes.withUnsafeBytes { UTF8Check.check($0) } }

    @Test func accepts() {
        for s in ["", "ascii", "é", "€", "𝄞", "\u{10FFFF}", "\u{D7FF}", "\u{E000}"] {
            #expect(check(Array(s.utf8)) == .valid, "\(s)")
        }
    }

    @Test func rejects() {
        #expect(check([0x80]) == .invalid(offset: 0))
        #expect(check([0x61, 0xc3]) == .invalid(offset: 1))
        #expect(check([0xe0, 0x80, 0x80]) == .invalid(offset: 0))
        #expect(check([0xf0, 0x8f, 0xbf, 0xbf]) == .invalid(offset: 0))
        #expect(check([0xf8, 0x88, 0x80, 0x80, 0x80]) == .invalid(offset: 0))
        #expect(check([0x61, 0x00]) == .containsNUL(offset: 1))
    }
}
