import Testing
@testable import CRMWire

@Suite("Codec round trips through protobuf-c", .timeLimit(.minutes(3)))
struct CodecRoundTripTests {
    typealias AllKinds = TestingV1.AllKinds

    func roundTrip(_ value: AllKinds) throws -> AllKinds {
        try AllKinds(serializedBytes: try value.serializedBytes())
    }

    @Test("every scalar type at its limits")
    func scalarLimits() throws {
        for low in [true, false] {
            let v = AllKinds.atLimits(low: low)
            #expect(try roundTrip(v) == v)
        }
    }

    @Test("the default message encodes to nothing and decodes from nothing")
    func emptyMessage() throws {
        #expect(try AllKinds().serializedBytes() == [])
        #expect(try AllKinds(serializedBytes: []) == AllKinds())
    }

    @Test("the encoding is standard protobuf")
    func knownEncoding() throws {
        let inner = TestingV1.Inner(label: "a", n: 150)
        #expect(try inner.serializedBytes() == [0x0a, 0x01, 0x61, 0x10, 0x96, 0x01])
        #expect(try TestingV1.Inner(serializedBytes: [0x0a, 0x01, 0x61, 0x10, 0x96, 0x01]) == inner)
    }

    @Test("strings keep non-ASCII text; bytes keep every byte")
    func stringsAndBytes() throws {
        var v = AllKinds()
        v.fString = "Café ☕ 日本語 🚀 Ñandú"
        v.fBytes = [0, 1, 0xff, 0, 0x80]
        v.rString = ["", "a", "ü", String(repeating: "x", count: 10_000)]
        v.rBytes = [[], [0], [0xde, 0xad, 0xbe, 0xef]]
        #expect(try roundTrip(v) == v)
    }

    @Test("repeated fields of every kind, nested messages and enums")
    func repeatedAndNested() throws {
        var v = AllKinds()
        v.rInt64 = [0, -1, .min, .max]
        v.rDouble = [0.5, -2.25, .infinity]
        v.rBool = [true, false, true]
        v.rEnum = [.red, .green, .infrared, .unspecified]
        v.rInner = [TestingV1.Inner(label: "one", n: 1), TestingV1.Inner(), TestingV1.Inner(label: "three", n: -3)]
        v.rSint32 = [.min, -1, 0, 1, .max]
        v.rFixed64 = [0, .max]
        v.rUint32 = [0, .max]
        v.rFloat = [1.5, -0.25]
        v.fInner = TestingV1.Inner(label: "inner", n: 42)
        v.fEnum = .infrared
        #expect(try roundTrip(v) == v)
    }

    @Test("unknown enum values survive as .unrecognized")
    func unknownEnumValues() throws {
        var v = AllKinds()
        v.fEnum = .unrecognized(99)
        v.rEnum = [.unrecognized(-7), .red, .unrecognized(1_000_000)]
        let back = try roundTrip(v)
        #expect(back == v)
        #expect(back.fEnum.protoValue == 99)
    }

    @Test("oneof members, including an empty string and empty bytes, are kept as set")
    func oneofs() throws {
        for choice: AllKinds.Choice? in [nil, .cText(""), .cText("hello"), .cNumber(0), .cNumber(-5), .cInner(TestingV1.Inner()), .cInner(TestingV1.Inner(label: "x", n: 1)), .cBytes([]), .cBytes([0, 1])] {
            var v = AllKinds()
            v.choice = choice
            #expect(try roundTrip(v).choice == choice, "choice \(String(describing: choice))")
        }
    }

    @Test("unknown fields are skipped")
    func unknownFields() throws {
        // Field 99 (varint 5) and field 98 (a length-delimited string) before a known field.
        let bytes: [UInt8] = [0x98, 0x06, 0x05, 0x92, 0x06, 0x02, 0x68, 0x69, 0x0a, 0x01, 0x61]
        #expect(try TestingV1.Inner(serializedBytes: bytes) == TestingV1.Inner(label: "a"))
    }

    @Test("no decode path leaks protobuf-c memory")
    func noLeaks() throws {
        var v = AllKinds()
        v.rInner = (0..<50).map { TestingV1.Inner(label: "l\($0)", n: Int64($0)) }
        v.rString = (0..<50).map { "s\($0)" }
        v.choice = .cInner(TestingV1.Inner(label: "c"))
        let bytes = try v.serializedBytes()
        for _ in 0..<100 { _ = try AllKinds(serializedBytes: bytes) }
        // Failing paths: truncated input at every length.
        for cut in stride(from: 1, to: bytes.count, by: 7) {
            _ = try? AllKinds(serializedBytes: Array(bytes[0..<cut]))
        }
        // Budget failures part-way through.
        _ = try? AllKinds(serializedBytes: bytes, limits: DecodeLimits(bytesPerInputByte: 1, minimumBudget: 512))
        #expect(DecodeAllocator.leakedBlocks.load(ordering: .relaxed) == 0)
    }
}

extension TestingV1.AllKinds {
    /// Every scalar field at its lowest (or highest) value, for round trips.
    static func atLimits(low: Bool) -> Self {
        var v = Self()
        v.fInt32 = low ? .min : .max
        v.fInt64 = low ? .min : .max
        v.fUint32 = low ? 1 : .max
        v.fUint64 = low ? 1 : .max
        v.fSint32 = low ? .min : .max
        v.fSint64 = low ? .min : .max
        v.fFixed32 = low ? 1 : .max
        v.fFixed64 = low ? 1 : .max
        v.fSfixed32 = low ? .min : .max
        v.fSfixed64 = low ? .min : .max
        v.fFloat = low ? -.greatestFiniteMagnitude : .infinity
        v.fDouble = low ? -.leastNonzeroMagnitude : .greatestFiniteMagnitude
        v.fBool = !low
        return v
    }
}
