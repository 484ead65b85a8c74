/// How one proto field looks in Swift and in protoc-c's C struct.
struct FieldModel {
    enum Kind {
        case scalar(swift: String)  // same representation in Swift and C
        case bool
        case string
        case bytes
        case enumeration(TypeIndex.Entry)
        case message(TypeIndex.Entry)
    }

    var proto: ProtoField
    var kind: Kind
    var comment: String?

    var swiftName: String { Naming.escaped(Naming.lowerCamel(proto.name)) }
    var swiftLabel: String { Naming.lowerCamel(proto.name) }
    var cName: String { proto.name }

    init(_ field: ProtoField, comment: String?, types: TypeIndex) throws {
        proto = field
        self.comment = comment
        if Naming.cKeywords.contains(field.name) {
            throw GeneratorError("field \(field.name): a C keyword, which protoc-c renames; choose another name")
        }
        if field.proto3Optional {
            throw GeneratorError("field \(field.name): proto3 optional is not supported by protoc-c 1.4")
        }
        switch field.type {
        case 1: kind = .scalar(swift: "Double")
        case 2: kind = .scalar(swift: "Float")
        case 3, 16, 18: kind = .scalar(swift: "Int64")
        case 4, 6: kind = .scalar(swift: "UInt64")
        case 5, 15, 17: kind = .scalar(swift: "Int32")
        case 7, 13: kind = .scalar(swift: "UInt32")
        case 8: kind = .bool
        case 9: kind = .string
        case 12: kind = .bytes
        case 14: kind = .enumeration(try types.resolve(field.typeName))
        case 11:
            let entry = try types.resolve(field.typeName)
            if entry.message?.isMapEntry == true {
                throw GeneratorError("field \(field.name): maps are not supported; use a repeated message")
            }
            kind = .message(entry)
        default:
            throw GeneratorError("field \(field.name): unsupported type \(field.type)")
        }
    }

    /// The Swift type of one element.
    var elementType: String {
        switch kind {
        case .scalar(let swift): return swift
        case .bool: return "Bool"
        case .string: return "String"
        case .bytes: return "[UInt8]"
        case .enumeration(let e), .message(let e): return e.swiftName
        }
    }

    /// The Swift type of the property (oneof members are handled by the message).
    var propertyType: String {
        if proto.isRepeated { return "[\(elementType)]" }
        if case .message = kind { return elementType + "?" }
        return elementType
    }

    var defaultValue: String {
        if proto.isRepeated { return "[]" }
        switch kind {
        case .scalar: return "0"
        case .bool: return "false"
        case .string: return "\"\""
        case .bytes: return "[]"
        case .enumeration(let e): return e.swiftName + "(protoValue: 0)"
        case .message: return "nil"
        }
    }

    /// An expression converting one C element `x` to Swift.
    func fromC(_ x: String) -> String {
        switch kind {
        case .scalar: return x
        case .bool: return "\(x) != 0"
        case .string: return "CBridge.string(\(x))"
        case .bytes: return "CBridge.bytes(\(x))"
        case .enumeration(let e): return "\(e.swiftName)(protoValue: Int32(truncatingIfNeeded: \(x).rawValue))"
        case .message(let e): return "\(e.swiftName)(cMessage: \(x)!)"
        }
    }

    /// An expression converting one Swift element `x` to C (may throw).
    func toC(_ x: String, path: String) -> String {
        switch kind {
        case .scalar: return x
        case .bool: return "\(x) ? 1 : 0"
        case .string: return "try arena.string(\(x), field: \"\(path)\")"
        case .bytes: return "arena.bytes(\(x))"
        case .enumeration(let e): return "\(e.cType)(rawValue: .init(truncatingIfNeeded: \(x).protoValue))"
        case .message: return "try \(x).toCMessage(arena)"
        }
    }

    /// The C element type (for repeated fields).
    var cElementType: String {
        switch kind {
        case .scalar(let swift): return swift
        case .bool: return "protobuf_c_boolean"
        case .string: return "UnsafeMutablePointer<CChar>?"
        case .bytes: return "ProtobufCBinaryData"
        case .enumeration(let e): return e.cType
        case .message(let e): return "UnsafeMutablePointer<\(e.cType)>?"
        }
    }
}
