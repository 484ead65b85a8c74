import CProtobufC

extension ProtoJSON {
    /// A request to fill in: every field of `type`, nested messages included, with a value of
    /// its kind (an enum's first named value past the unspecified one, one element in each
    /// repeated field, the first member of each oneof, so that the template is itself a valid
    /// request). A message that contains itself is written once per path, then left empty.
    /// `crm call ... --template` prints it.
    public static func template(_ type: ProtoMessageType) -> JSONValue {
        template(type, seen: [])
    }

    private static func template(_ type: ProtoMessageType, seen: Set<ProtoMessageType>) -> JSONValue {
        guard !seen.contains(type) else { return .object([]) }
        var members: [JSONMember] = []
        var oneofs: Set<UInt32> = []  // a oneof's members share the offset of its case field
        for field in type.fields {
            if field.pointee.flags & PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue != 0 {
                guard oneofs.insert(field.pointee.quantifier_offset).inserted else { continue }
            }
            let name = String(cString: field.pointee.name)
            let value = example(field, seen: seen.union([type]))
            members.append(JSONMember(name, field.pointee.label == PROTOBUF_C_LABEL_REPEATED ? .array([value]) : value))
        }
        return .object(members)
    }

    private static func example(_ field: UnsafePointer<ProtobufCFieldDescriptor>, seen: Set<ProtoMessageType>) -> JSONValue {
        switch field.pointee.type {
        case PROTOBUF_C_TYPE_MESSAGE:
            return template(ProtoMessageType(field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)), seen: seen)
        case PROTOBUF_C_TYPE_ENUM:
            let descriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
            let count = Int(descriptor.pointee.n_values)
            let value = count > 1 ? descriptor.pointee.values[1] : descriptor.pointee.values[0]
            return .string(String(cString: value.name))
        case PROTOBUF_C_TYPE_BOOL: return .bool(false)
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES: return .string("")
        case PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_DOUBLE: return .number("0.0")
        default: return .number("0")
        }
    }
}
