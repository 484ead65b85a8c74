import CProtobufC
import CRMWireFormat

/// Walks an encoded message before protobuf-c sees it, guided by the protoc-c descriptors, and
/// checks what protobuf-c does not: every string field is UTF-8 without NUL, sub-messages
/// nest at most `maxDepth` deep, and no repeated field holds more than `maxRepeated` elements.
/// Errors name the field's path ("value.r_inner[2].label").
enum WireValidator {
    static func validate(
        _ bytes: UnsafeRawBufferPointer,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        maxDepth: Int,
        maxRepeated: Int = .max
    ) throws(WireError) {
        try validate(bytes, descriptor: descriptor, depth: 0, maxDepth: maxDepth, maxRepeated: maxRepeated)
    }

    private static func validate(
        _ bytes: UnsafeRawBufferPointer,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        depth: Int,
        maxDepth: Int,
        maxRepeated: Int
    ) throws(WireError) {
        guard depth <= maxDepth else { throw WireError(.tooDeep) }
        // Elements so far of the repeated fields seen, by field number (a message has few).
        var counts: [(number: UInt32, count: Int)] = []
        var reader = WireReader(bytes)
        do {
            while !reader.isAtEnd {
                let fieldStart = reader.offset
                let (number, wireType) = try reader.readTag()
                guard wireType == .lengthDelimited,
                      let field = protobuf_c_message_descriptor_get_field(descriptor, number)
                else {
                    try reader.skip(wireType)
                    continue
                }
                let value = try reader.readLengthDelimited()
                if field.pointee.label == PROTOBUF_C_LABEL_REPEATED {
                    let elements = packedCount(value, type: field.pointee.type)
                    let i = counts.firstIndex { $0.number == number } ?? { counts.append((number, 0)); return counts.count - 1 }()
                    counts[i].count += elements
                    if counts[i].count > maxRepeated {
                        throw WireError(.tooManyElements(maxRepeated), field: String(cString: field.pointee.name))
                    }
                }
                do throws(WireError) {
                    switch field.pointee.type {
                    case PROTOBUF_C_TYPE_STRING:
                        switch UTF8Check.check(value) {
                        case .valid: break
                        case .invalid: throw WireError(.invalidUTF8)
                        case .containsNUL: throw WireError(.containsNUL)
                        }
                    case PROTOBUF_C_TYPE_MESSAGE:
                        let nested = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                        try validate(value, descriptor: nested, depth: depth + 1, maxDepth: maxDepth, maxRepeated: maxRepeated)
                    default:
                        break  // bytes and packed repeated scalars: protobuf-c checks these itself
                    }
                } catch {
                    throw error.nested(in: fieldName(field, number: number, in: bytes, before: fieldStart))
                }
            }
        } catch let error as WireFormatError {
            throw WireError(.malformed(error.description))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.malformed("\(error)"))
        }
    }

    /// How many elements one length-delimited occurrence of a repeated field holds: one string or
    /// message, or the scalars packed in it.
    private static func packedCount(_ value: UnsafeRawBufferPointer, type: ProtobufCType) -> Int {
        switch type {
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: return 1
        case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT: return value.count / 4
        case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE: return value.count / 8
        default: return value.reduce(0) { $0 + ($1 < 0x80 ? 1 : 0) }  // varints: one last byte each
        }
    }

    /// The field's name, with its index among the earlier occurrences when it is repeated.
    /// Only computed on the error path.
    private static func fieldName(
        _ field: UnsafePointer<ProtobufCFieldDescriptor>,
        number: UInt32,
        in bytes: UnsafeRawBufferPointer,
        before offset: Int
    ) -> String {
        let name = String(cString: field.pointee.name)  // a name from the descriptor, not input
        guard field.pointee.label == PROTOBUF_C_LABEL_REPEATED else { return name }
        var reader = WireReader(UnsafeRawBufferPointer(rebasing: bytes[0..<offset]))
        var index = 0
        while !reader.isAtEnd, let (n, t) = try? reader.readTag() {
            if n == number { index += 1 }
            if (try? reader.skip(t)) == nil { break }
        }
        return "\(name)[\(index)]"
    }
}
