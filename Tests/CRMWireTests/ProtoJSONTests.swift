import Testing
@testable import CRMWire

@Suite("JSON for any message through protoc-c's descriptors", .timeLimit(.minutes(3)))
struct ProtoJSONTests {
    typealias AllKinds = TestingV1.AllKinds
    let allKinds = ProtoCatalog.message(named: "crm.testing.v1.AllKinds")!

    /// Message -> JSON -> text -> JSON -> protobuf -> message, inside a request as `crm call` sends it.
    func roundTrip(_ value: AllKinds) throws -> AllKinds {
        let json = try ProtoJSON.json(TestingV1.RoundTripRequest(value: value))
        let reparsed = try JSONValue(parsing: json.text())
        #expect(reparsed == json)
        let method = try #require(ProtoCatalog.service(named: "crm.testing.v1.Echo")?.method(named: "RoundTrip"))
        let request = try TestingV1.RoundTripRequest(serializedBytes: try ProtoJSON.encode(reparsed, as: method.input))
        return request.value ?? AllKinds()
    }

    func encode(_ text: String) throws -> AllKinds {
        try AllKinds(serializedBytes: try ProtoJSON.encode(try JSONValue(parsing: text), as: allKinds))
    }

    func error(_ text: String) throws -> ProtoJSONError? {
        do {
            _ = try ProtoJSON.encode(try JSONValue(parsing: text), as: allKinds)
            return nil
        } catch let error as ProtoJSONError {
            return error
        }
    }

    @Test("every scalar kind at its limits, repeated fields, nested messages and enums survive the round trip")
    func everyKind() throws {
        for lo in [true, false] {
            var v = AllKinds.atLimits(low: lo)
            if !lo { v.fDouble = 0.1 }  // a decimal that binary cannot hold exactly
            v.fString = "Café ☕ \"quoted\" \\ \n\t 🚀"
            v.fBytes = [0, 1, 0xff, 0x80]
            v.fEnum = lo ? .infrared : .unrecognized(99)
            v.fInner = TestingV1.Inner(label: "inner", n: -42)
            v.rInt64 = [0, -1, .min, .max]
            v.rDouble = [0.5, -2.25, -.infinity]
            v.rBool = [true, false]
            v.rString = ["", "ü"]
            v.rBytes = [[], [0xde, 0xad]]
            v.rEnum = [.red, .green, .infrared]
            v.rInner = [TestingV1.Inner(label: "one", n: 1), TestingV1.Inner()]
            v.rSint32 = [.min, -1, 0, .max]
            v.rFixed64 = [0, .max]
            v.rUint32 = [.max]
            v.rFloat = [1.5, -0.25]
            v.choice = lo ? .cInner(TestingV1.Inner(label: "c", n: 7)) : .cText("")
            #expect(try roundTrip(v) == v)
        }
    }

    @Test("output uses .proto names in field order, numbers for 64-bit integers, enum names and every default")
    func outputShape() throws {
        let json = try ProtoJSON.json(AllKinds(fInt64: 9_007_199_254_740_993, fBytes: [0xff], fEnum: .green, rEnum: [.red]))
        guard case .object(let members) = json else { Issue.record("not an object"); return }
        #expect(members.first?.key == "f_int32")
        #expect(json["f_int64"] == .number("9007199254740993"))
        #expect(json["f_bytes"] == .string("/w=="))
        #expect(json["f_enum"] == .string("COLOR_GREEN"))
        #expect(json["r_enum"] == .array([.string("COLOR_RED")]))
        #expect(json["f_string"] == .string(""))
        #expect(json["r_string"] == .array([]))
        #expect(json["f_inner"] == nil)  // an unset message is left out
        #expect(json["c_text"] == nil)  // and so is an unset oneof member
        #expect(ProtoJSON.lowerCamel("f_int64") == "fInt64")
    }

    @Test("input takes camelCase names, integers as strings, enums by short name or number, null as unset")
    func lenientInput() throws {
        let v = try encode("""
            {"fInt64": "-12", "f_uint64": 18446744073709551615, "f_int32": 2.0, "f_enum": "green", "r_enum": [1, "COLOR_INFRARED", "Red"],
             "f_double": "NaN", "f_float": "-Infinity", "f_bytes": "3q2-7w", "f_inner": null, "c_number": "5"}
            """)
        #expect(v.fInt64 == -12)
        #expect(v.fUint64 == .max)
        #expect(v.fInt32 == 2)
        #expect(v.fEnum == .green)
        #expect(v.rEnum == [.red, .infrared, .red])
        #expect(v.fDouble.isNaN)
        #expect(v.fFloat == -.infinity)
        #expect(v.fBytes == [0xde, 0xad, 0xbe, 0xef])
        #expect(v.fInner == nil)
        #expect(v.choice == .cNumber(5))
    }

    @Test("each bad member is named with what was expected")
    func badInput() throws {
        #expect(try error(#"{"nope": 1}"#)?.field == "nope")
        #expect(try error(#"{"nope": 1}"#)?.reason.contains("f_int32") == true)
        #expect(try error(#"{"f_int32": 2147483648}"#) == ProtoJSONError(field: "f_int32", reason: "expected a whole number from -2147483648 to 2147483647, found 2147483648"))
        #expect(try error(#"{"f_uint32": -1}"#)?.field == "f_uint32")
        #expect(try error(#"{"f_int64": 1.5}"#)?.field == "f_int64")
        #expect(try error(#"{"f_bool": "yes"}"#)?.reason == "expected true or false, found \"yes\"")
        #expect(try error(#"{"f_string": 5}"#)?.reason == "expected a string, found 5")
        #expect(try error(#"{"f_string": "a\u0000b"}"#)?.field == "f_string")
        #expect(try error(#"{"f_enum": "purple"}"#)?.reason == "expected one of COLOR_INFRARED, COLOR_UNSPECIFIED, COLOR_RED, COLOR_GREEN, found \"purple\"")
        #expect(try error(#"{"f_inner": {"label": 3}}"#)?.field == "f_inner.label")
        #expect(try error(#"{"r_inner": [{}, {"n": "x"}]}"#)?.field == "r_inner[1].n")
        #expect(try error(#"{"r_int64": 5}"#)?.reason == "expected an array, found 5")
        #expect(try error(#"{"f_bytes": "not base64!"}"#)?.field == "f_bytes")
        #expect(try error(#"{"f_float": 1e300}"#)?.reason == "is too large for a float")
        #expect(try error(#"{"c_text": "a", "c_number": 1}"#)?.reason == "and c_text are alternatives: give one of them")
        #expect(try error(#"{"f_int32": 1, "fInt32": 2}"#)?.reason == "is given twice")
        #expect(try error(#"[1, 2]"#)?.reason == "expected an object (a crm.testing.v1.AllKinds), found an array")
    }

    @Test("bytes that are not the message are an error naming where, not a crash")
    func badBytes() throws {
        #expect(throws: ProtoJSONError.self) { try ProtoJSON.json(from: [0x0F, 0xFF, 0x12, 0xFF], as: allKinds) }
        // Field 14 (f_string) sent as a varint.
        #expect(throws: ProtoJSONError(field: "f_string", reason: "has wire type 0, not 2")) { try ProtoJSON.json(from: [0x70, 0x01], as: allKinds) }
        #expect(throws: ProtoJSONError(field: "f_string", reason: "is not valid UTF-8")) { try ProtoJSON.json(from: [0x72, 0x01, 0xFF], as: allKinds) }
        // Unknown fields are skipped, as protobuf does.
        #expect(try ProtoJSON.json(from: [0xF8, 0x07, 0x01], as: allKinds)["f_int32"] == .number("0"))
    }

    @Test("the catalog lists every service with its methods, streaming ones marked")
    func catalog() throws {
        let leads = try #require(ProtoCatalog.service(named: "leads"))
        #expect(leads.name == "crm.leads.v1.Leads")
        #expect(leads.method(named: "createlead")?.input.name == "crm.leads.v1.CreateLeadRequest")
        #expect(leads.method(named: "WatchEvents")?.serverStreaming == true)
        #expect(leads.method(named: "GetLead")?.serverStreaming == false)
        #expect(ProtoCatalog.service(named: "WatchEvents") == nil)
        // "Echo" and "Health" are one service each; every service of proto/ is there.
        #expect(ProtoCatalog.service(named: "health")?.name == "crm.rpc.v1.Health")
        #expect(Set(ProtoCatalog.services.map(\.name)).isSuperset(of: ["crm.leads.v1.Auth", "crm.activities.v1.Activities", "crm.comms.v1.Comms", "crm.reports.v1.Reports"]))
        #expect(ProtoCatalog.message(named: "crm.leads.v1.Lead") != nil)
    }
}

@Suite("JSON text", .timeLimit(.minutes(3)))
struct JSONValueTests {
    @Test("parses RFC 8259 text and writes it back in the same order")
    func roundTrip() throws {
        let text = #"{"b": [1, -2.5e3, true, false, null], "a": {"x": "\u00e9\ud83d\ude80\n\"\\/"}, "": []}"#
        let value = try JSONValue(parsing: text)
        #expect(value["b"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["a"]?["x"] == .string("é🚀\n\"\\/"))
        #expect(try JSONValue(parsing: value.text()) == value)
        #expect(try JSONValue(parsing: value.text(pretty: false)) == value)
        #expect(value.text(pretty: false) == #"{"b":[1,-2.5e3,true,false,null],"a":{"x":"é🚀\n\"\\/"},"":[]}"#)
        #expect(JSONValue.string("\u{01}").text() == #""\u0001""#)
    }

    @Test("malformed text is refused with its line and column")
    func malformed() throws {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"a\u{01}\"", "{} {}", "[1 2]", "nul"] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONValue(parsing: bad) }
        }
        #expect(throws: JSONSyntaxError(line: 2, column: 3, reason: "expected a value")) { try JSONValue(parsing: "[\n1,x]") }
        let deep = String(repeating: "[", count: 101) + String(repeating: "]", count: 101)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try JSONValue(parsing: fine) != .null)
    }
}

@Suite("request templates for crm call --template", .timeLimit(.minutes(1)))
struct ProtoJSONTemplateTests {
    @Test("every method's template names every field, nested messages included, and is itself a request that encodes")
    func everyMethod() throws {
        for service in ProtoCatalog.services {
            for method in service.methods {
                let template = ProtoJSON.template(method.input)
                #expect(throws: Never.self, "\(service.name)/\(method.name)") { _ = try ProtoJSON.encode(template, as: method.input) }
            }
        }
        let create = try #require(ProtoCatalog.message(named: "crm.leads.v1.CreateLeadRequest"))
        let text = ProtoJSON.template(create).text(pretty: false)
        for field in ["\"lead\":{", "\"full_name\":\"\"", "\"emails\":[\"\"]", "\"target_amount\":{\"amount_minor\":0", "\"products\":[{\"product\":\"\"", "\"allow_duplicate\":false"] {
            #expect(text.contains(field), "\(field) missing from \(text.prefix(400))")
        }
    }
}
