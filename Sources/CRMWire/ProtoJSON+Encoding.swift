import CProtobufC
import CRMWireFormat
import Foundation

// MARK: - JSON to protobuf

extension ProtoJSON {
    static func encode(_ json: JSONValue, _ type: ProtoMessageType, path: String, depth: Int, into writer: inout WireWriter) throws(ProtoJSONError) {
        guard depth <= JSONValue.maxDepth else { throw ProtoJSONError(field: path, reason: "messages nest too deeply") }
        guard case .object(let members) = json else {
            throw ProtoJSONError(field: path, reason: "expected an object (a \(type.name)), found \(json.kind)")
        }
        var given: Set<UInt32> = []
        var oneofMembers: [UInt32: String] = [:]  // quantifier offset -> the member already given
        for member in members {
            guard let field = field(named: member.key, in: type) else {
                throw ProtoJSONError(
                    field: join(path, member.key),
                    reason: "is not a field of \(type.name); its fields are \(type.fieldNames.joined(separator: ", "))")
            }
            let f = field.pointee
            let name = String(cString: f.name)
            let fieldPath = join(path, name)
            guard given.insert(f.id).inserted else { throw ProtoJSONError(field: fieldPath, reason: "is given twice") }
            if member.value == .null { continue }
            if f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue != 0 {
                if let other = oneofMembers[UInt32(f.quantifier_offset)] {
                    throw ProtoJSONError(field: fieldPath, reason: "and \(other) are alternatives: give one of them")
                }
                oneofMembers[UInt32(f.quantifier_offset)] = name
            }
            guard f.label == PROTOBUF_C_LABEL_REPEATED else {
                try encodeValue(member.value, field, path: fieldPath, depth: depth, tagged: true, into: &writer)
                continue
            }
            guard case .array(let elements) = member.value else {
                throw ProtoJSONError(field: fieldPath, reason: "expected an array, found \(member.value.kind)")
            }
            if scalarWireType(f.type) != nil {
                // proto3 packs repeated scalars: one length-delimited run of values.
                guard !elements.isEmpty else { continue }
                var packed = WireWriter()
                for (i, element) in elements.enumerated() {
                    try encodeValue(element, field, path: "\(fieldPath)[\(i)]", depth: depth, tagged: false, into: &packed)
                }
                writer.writeTag(f.id, .lengthDelimited)
                writer.writeLengthDelimited(packed.bytes)
            } else {
                for (i, element) in elements.enumerated() {
                    try encodeValue(element, field, path: "\(fieldPath)[\(i)]", depth: depth, tagged: true, into: &writer)
                }
            }
        }
    }

    /// The field a JSON member names: by its .proto name, or by its lowerCamelCase JSON name.
    private static func field(named key: String, in type: ProtoMessageType) -> UnsafePointer<ProtobufCFieldDescriptor>? {
        if let exact = protobuf_c_message_descriptor_get_field_by_name(type.descriptor, key) { return exact }
        return type.fields.first { lowerCamel(String(cString: $0.pointee.name)) == key }
    }

    /// "full_name" -> "fullName", as protoc derives json_name.
    static func lowerCamel(_ name: String) -> String {
        var out = ""
        var upperNext = false
        for ch in name {
            if ch == "_" {
                upperNext = true
            } else {
                out += upperNext ? ch.uppercased() : String(ch)
                upperNext = false
            }
        }
        return out
    }

    /// Writes one value of `field` (with its tag unless it goes into a packed run).
    private static func encodeValue(
        _ json: JSONValue, _ field: UnsafePointer<ProtobufCFieldDescriptor>, path: String, depth: Int, tagged: Bool, into writer: inout WireWriter
    ) throws(ProtoJSONError) {
        let f = field.pointee
        func tag(_ wireType: WireType) { if tagged { writer.writeTag(f.id, wireType) } }
        switch f.type {
        case PROTOBUF_C_TYPE_INT32:
            tag(.varint)
            writer.writeVarint(UInt64(bitPattern: Int64(try integer(json, Int32.self, path))))
        case PROTOBUF_C_TYPE_SINT32:
            tag(.varint)
            writer.writeVarint(ZigZag.encode(Int64(try integer(json, Int32.self, path))))
        case PROTOBUF_C_TYPE_SFIXED32:
            tag(.fixed32)
            writer.writeFixed32(UInt32(bitPattern: try integer(json, Int32.self, path)))
        case PROTOBUF_C_TYPE_UINT32:
            tag(.varint)
            writer.writeVarint(UInt64(try integer(json, UInt32.self, path)))
        case PROTOBUF_C_TYPE_FIXED32:
            tag(.fixed32)
            writer.writeFixed32(try integer(json, UInt32.self, path))
        case PROTOBUF_C_TYPE_INT64:
            tag(.varint)
            writer.writeVarint(UInt64(bitPattern: try integer(json, Int64.self, path)))
        case PROTOBUF_C_TYPE_SINT64:
            tag(.varint)
            writer.writeVarint(ZigZag.encode(try integer(json, Int64.self, path)))
        case PROTOBUF_C_TYPE_SFIXED64:
            tag(.fixed64)
            writer.writeFixed64(UInt64(bitPattern: try integer(json, Int64.self, path)))
        case PROTOBUF_C_TYPE_UINT64:
            tag(.varint)
            writer.writeVarint(try integer(json, UInt64.self, path))
        case PROTOBUF_C_TYPE_FIXED64:
            tag(.fixed64)
            writer.writeFixed64(try integer(json, UInt64.self, path))
        case PROTOBUF_C_TYPE_FLOAT:
            let value = try floating(json, path)
            // Rounds to the nearest float; only values past the float range become infinite.
            guard !value.isFinite || Float(value).isFinite else {
                throw ProtoJSONError(field: path, reason: "is too large for a float")
            }
            tag(.fixed32)
            writer.writeFixed32(Float(value).bitPattern)
        case PROTOBUF_C_TYPE_DOUBLE:
            let value = try floating(json, path)
            tag(.fixed64)
            writer.writeFixed64(value.bitPattern)
        case PROTOBUF_C_TYPE_BOOL:
            guard case .bool(let value) = json else { throw ProtoJSONError(field: path, reason: "expected true or false, found \(json.kind)") }
            tag(.varint)
            writer.writeVarint(value ? 1 : 0)
        case PROTOBUF_C_TYPE_ENUM:
            let number = try enumNumber(json, f.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self), path)
            tag(.varint)
            writer.writeVarint(UInt64(bitPattern: Int64(number)))
        case PROTOBUF_C_TYPE_STRING:
            guard case .string(let value) = json else { throw ProtoJSONError(field: path, reason: "expected a string, found \(json.kind)") }
            guard !value.utf8.contains(0) else { throw ProtoJSONError(field: path, reason: "contains a NUL character, which is not accepted") }
            tag(.lengthDelimited)
            writer.writeLengthDelimited(Array(value.utf8))
        case PROTOBUF_C_TYPE_BYTES:
            guard case .string(let text) = json, let data = base64(text) else {
                throw ProtoJSONError(field: path, reason: "expected base64 text, found \(json.kind)")
            }
            tag(.lengthDelimited)
            writer.writeLengthDelimited(Array(data))
        case PROTOBUF_C_TYPE_MESSAGE:
            let nested = ProtoMessageType(f.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
            var inner = WireWriter()
            try encode(json, nested, path: path, depth: depth + 1, into: &inner)
            tag(.lengthDelimited)
            writer.writeLengthDelimited(inner.bytes)
        default:
            throw ProtoJSONError(field: path, reason: "has a type JSON cannot give")
        }
    }

    /// A whole number in range for `I`, from a JSON number or a string holding one.
    private static func integer<I: FixedWidthInteger>(_ json: JSONValue, _: I.Type, _ path: String) throws(ProtoJSONError) -> I {
        let range = "a whole number from \(I.min) to \(I.max)"
        let text: String
        switch json {
        case .number(let t): text = t
        case .string(let t): text = t.trimmingCharacters(in: .whitespaces)
        default: throw ProtoJSONError(field: path, reason: "expected \(range), found \(json.kind)")
        }
        if let exact = I(text) { return exact }
        // "1e3" and "2.0" are whole numbers too.
        if let d = Double(text), d.rounded() == d, let value = I(exactly: d) { return value }
        throw ProtoJSONError(field: path, reason: "expected \(range), found \(json.kind)")
    }

    private static func floating(_ json: JSONValue, _ path: String) throws(ProtoJSONError) -> Double {
        switch json {
        case .number(let text):
            if let value = Double(text), value.isFinite { return value }
        case .string("NaN"): return .nan
        case .string("Infinity"): return .infinity
        case .string("-Infinity"): return -.infinity
        case .string(let text):
            if let value = Double(text), value.isFinite { return value }
        default: break
        }
        throw ProtoJSONError(field: path, reason: "expected a number (or \"NaN\", \"Infinity\", \"-Infinity\"), found \(json.kind)")
    }

    /// An enum value by name ("LIFECYCLE_STATE_WON", or "won" without the prefix, in any case)
    /// or by number.
    private static func enumNumber(_ json: JSONValue, _ descriptor: UnsafePointer<ProtobufCEnumDescriptor>, _ path: String) throws(ProtoJSONError) -> Int32 {
        let values = (0..<Int(descriptor.pointee.n_values)).map { descriptor.pointee.values[$0] }
        let names = values.map { String(cString: $0.name) }
        switch json {
        case .number:
            return try integer(json, Int32.self, path)
        case .string(let text):
            if let exact = protobuf_c_enum_descriptor_get_value_by_name(descriptor, text) { return exact.pointee.value }
            let wanted = text.uppercased()
            let matches = values.indices.filter { names[$0] == wanted || names[$0].hasSuffix("_" + wanted) }
            if matches.count == 1 { return values[matches[0]].value }
        default:
            break
        }
        throw ProtoJSONError(field: path, reason: "expected one of \(names.joined(separator: ", ")), found \(json.kind)")
    }

    /// Standard or URL-safe base64, with or without padding.
    private static func base64(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

extension JSONValue {
    /// What kind of value this is, for messages ("a string \"x\"", "an array").
    var kind: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let t): t
        case .string(let s): s.count > 40 ? "a string" : "\"\(s)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
