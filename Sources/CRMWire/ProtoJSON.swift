import CProtobufC
import CRMWireFormat
import Foundation

/// JSON for any message of proto/, converted to and from its protobuf encoding by walking
/// protoc-c's descriptors (as grpcurl does with protoc's): `crm call` and every `--json` use it.
///
/// The mapping is proto3's JSON mapping with two choices made for people and shell scripts:
/// members are the .proto field names ("full_name"; "fullName" is read too), and 64-bit integers
/// are written as JSON numbers (exact; strings are read too). Enums are written by name and read
/// by name, by the name without its prefix ("won" for LIFECYCLE_STATE_WON) in any case, or by
/// number; bytes are base64. Output has every field, defaults included, except sub-messages and
/// oneof members that are not set.
public enum ProtoJSON {
    /// The JSON form of a message.
    public static func json<M: WireMessage>(_ message: M) throws(ProtoJSONError) -> JSONValue {
        guard let bridged = M.self as? any CBridged.Type else {
            throw ProtoJSONError(field: "", reason: "\(M.protoMessageName) has no descriptor")
        }
        let bytes: [UInt8]
        do { bytes = try message.serializedBytes() } catch { throw ProtoJSONError(field: error.field, reason: error.detail) }
        return try json(from: bytes, as: ProtoMessageType(bridged.cDescriptor))
    }

    /// The JSON form of the message of type `type` that `bytes` encode.
    public static func json(from bytes: [UInt8], as type: ProtoMessageType) throws(ProtoJSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtoJSONError) in try decode(raw, type, path: "", depth: 0) }
        }
        return try result.get()
    }

    /// The protobuf encoding of `json` as a message of type `type`. Errors name the member at
    /// fault by its path ("lead.emails[1]").
    public static func encode(_ json: JSONValue, as type: ProtoMessageType) throws(ProtoJSONError) -> [UInt8] {
        var writer = WireWriter()
        try encode(json, type, path: "", depth: 0, into: &writer)
        return writer.bytes
    }
}

/// JSON that does not fit the message, or bytes that do not decode as it.
public struct ProtoJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The member's path, such as "lead.emails[1]"; empty for the message as a whole.
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

// MARK: - Protobuf to JSON

extension ProtoJSON {
    private static func decode(_ bytes: UnsafeRawBufferPointer, _ type: ProtoMessageType, path: String, depth: Int) throws(ProtoJSONError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw ProtoJSONError(field: path, reason: "messages nest too deeply") }
        var singular: [UInt32: JSONValue] = [:]
        var repeated: [UInt32: [JSONValue]] = [:]
        var reader = WireReader(bytes)
        do {
            while !reader.isAtEnd {
                let (number, wireType) = try reader.readTag()
                guard let field = protobuf_c_message_descriptor_get_field(type.descriptor, number) else {
                    try reader.skip(wireType)  // a field this build does not know
                    continue
                }
                let name = String(cString: field.pointee.name)
                if field.pointee.label == PROTOBUF_C_LABEL_REPEATED {
                    let index = repeated[number, default: []].count
                    if wireType == .lengthDelimited, let scalarType = Self.scalarWireType(field.pointee.type) {
                        var packed = WireReader(try reader.readLengthDelimited())
                        while !packed.isAtEnd {
                            let itemPath = "\(join(path, name))[\(repeated[number, default: []].count)]"
                            repeated[number, default: []].append(try value(&packed, scalarType, field, path: itemPath, depth: depth))
                        }
                    } else {
                        repeated[number, default: []].append(try value(&reader, wireType, field, path: "\(join(path, name))[\(index)]", depth: depth))
                    }
                } else {
                    singular[number] = try value(&reader, wireType, field, path: join(path, name), depth: depth)
                }
            }
        } catch let error as WireFormatError {
            throw ProtoJSONError(field: path, reason: "is not a valid protobuf encoding of \(type.name) (\(error.description))")
        } catch let error as ProtoJSONError {
            throw error
        } catch {
            throw ProtoJSONError(field: path, reason: "\(error)")
        }

        var members: [JSONMember] = []
        for field in type.fields {
            let f = field.pointee
            let name = String(cString: f.name)
            if f.label == PROTOBUF_C_LABEL_REPEATED {
                members.append(JSONMember(name, .array(repeated[f.id] ?? [])))
            } else if let value = singular[f.id] {
                members.append(JSONMember(name, value))
            } else if f.type != PROTOBUF_C_TYPE_MESSAGE && f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue == 0 {
                members.append(JSONMember(name, defaultValue(field)))
            }
        }
        return .object(members)
    }

    /// One value of `field`, read from `reader` where it is encoded with `wireType`.
    private static func value(
        _ reader: inout WireReader, _ wireType: WireType, _ field: UnsafePointer<ProtobufCFieldDescriptor>, path: String, depth: Int
    ) throws -> JSONValue {
        let type = field.pointee.type
        let expected = scalarWireType(type) ?? .lengthDelimited
        guard wireType == expected else {
            throw ProtoJSONError(field: path, reason: "has wire type \(wireType.rawValue), not \(expected.rawValue)")
        }
        switch type {
        case PROTOBUF_C_TYPE_INT32: return .integer(Int32(truncatingIfNeeded: try reader.readVarint()))
        case PROTOBUF_C_TYPE_SINT32: return .integer(Int32(truncatingIfNeeded: ZigZag.decode(try reader.readVarint())))
        case PROTOBUF_C_TYPE_SFIXED32: return .integer(Int32(bitPattern: try reader.readFixed32()))
        case PROTOBUF_C_TYPE_UINT32: return .integer(UInt32(truncatingIfNeeded: try reader.readVarint()))
        case PROTOBUF_C_TYPE_FIXED32: return .integer(try reader.readFixed32())
        case PROTOBUF_C_TYPE_INT64: return .integer(Int64(bitPattern: try reader.readVarint()))
        case PROTOBUF_C_TYPE_SINT64: return .integer(ZigZag.decode(try reader.readVarint()))
        case PROTOBUF_C_TYPE_SFIXED64: return .integer(Int64(bitPattern: try reader.readFixed64()))
        case PROTOBUF_C_TYPE_UINT64: return .integer(try reader.readVarint())
        case PROTOBUF_C_TYPE_FIXED64: return .integer(try reader.readFixed64())
        case PROTOBUF_C_TYPE_FLOAT:
            let f = Float(bitPattern: try reader.readFixed32())
            return floatingValue(f.isFinite, f.description)
        case PROTOBUF_C_TYPE_DOUBLE:
            let d = Double(bitPattern: try reader.readFixed64())
            return floatingValue(d.isFinite, d.description)
        case PROTOBUF_C_TYPE_BOOL:
            return .bool(try reader.readVarint() != 0)
        case PROTOBUF_C_TYPE_ENUM:
            let number = Int32(truncatingIfNeeded: try reader.readVarint())
            let descriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
            guard let known = protobuf_c_enum_descriptor_get_value(descriptor, number) else { return .integer(number) }
            return .string(String(cString: known.pointee.name))
        case PROTOBUF_C_TYPE_STRING:
            let bytes = try reader.readLengthDelimited()
            switch UTF8Check.check(bytes) {
            case .valid: return .string(String(decoding: bytes, as: UTF8.self))
            case .invalid: throw ProtoJSONError(field: path, reason: "is not valid UTF-8")
            case .containsNUL: throw ProtoJSONError(field: path, reason: "contains a NUL character")
            }
        case PROTOBUF_C_TYPE_BYTES:
            return .string(Data(try reader.readLengthDelimited()).base64EncodedString())
        case PROTOBUF_C_TYPE_MESSAGE:
            let nested = ProtoMessageType(field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
            return try decode(try reader.readLengthDelimited(), nested, path: path, depth: depth + 1)
        default:
            throw ProtoJSONError(field: path, reason: "has a type JSON cannot show")
        }
    }
}

// MARK: - Shared

extension ProtoJSON {
    /// The wire type of a scalar field (what may be packed), or nil for strings, bytes and messages.
    static func scalarWireType(_ type: ProtobufCType) -> WireType? {
        switch type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64,
             PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_ENUM:
            .varint
        case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT: .fixed32
        case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE: .fixed64
        default: nil
        }
    }

    /// A float as a JSON number, or as proto3's strings for the values JSON has no number for.
    private static func floatingValue(_ isFinite: Bool, _ text: String) -> JSONValue {
        guard !isFinite else { return .number(text) }
        switch text {
        case "inf": return .string("Infinity")
        case "-inf": return .string("-Infinity")
        default: return .string("NaN")
        }
    }

    /// What an unset singular field reads as.
    private static func defaultValue(_ field: UnsafePointer<ProtobufCFieldDescriptor>) -> JSONValue {
        switch field.pointee.type {
        case PROTOBUF_C_TYPE_BOOL: return .bool(false)
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES: return .string("")
        case PROTOBUF_C_TYPE_ENUM:
            let descriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
            return protobuf_c_enum_descriptor_get_value(descriptor, 0).map { .string(String(cString: $0.pointee.name)) } ?? .integer(0)
        default: return .number("0")
        }
    }

    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }
}
