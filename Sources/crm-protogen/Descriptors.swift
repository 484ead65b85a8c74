import CRMWireFormat

// The part of descriptor.proto the generator needs, decoded from protoc's FileDescriptorSet.
// Field numbers are those of google/protobuf/descriptor.proto.

struct ProtoFile {
    var name = ""
    var package = ""
    var syntax = ""
    var messages: [ProtoMessage] = []
    var enums: [ProtoEnum] = []
    var services: [ProtoService] = []
    /// Leading comments by source path (descriptor.proto's SourceCodeInfo.Location.path).
    var comments: [[Int32]: String] = [:]
}

struct ProtoMessage {
    var name = ""
    var fields: [ProtoField] = []
    var nested: [ProtoMessage] = []
    var enums: [ProtoEnum] = []
    var oneofs: [String] = []
    var isMapEntry = false
}

struct ProtoField {
    var name = ""
    var number: Int32 = 0
    var label: Int32 = 1  // 1 optional, 2 required, 3 repeated
    var type: Int32 = 0  // FieldDescriptorProto.Type
    var typeName = ""
    var oneofIndex: Int32? = nil
    var proto3Optional = false

    var isRepeated: Bool { label == 3 }
}

struct ProtoEnum {
    var name = ""
    var values: [(name: String, number: Int32)] = []
}

struct ProtoService {
    var name = ""
    var methods: [ProtoMethod] = []
}

struct ProtoMethod {
    var name = ""
    var inputType = ""
    var outputType = ""
    var clientStreaming = false
    var serverStreaming = false
}

extension WireReader {
    mutating func readString() throws(WireFormatError) -> String {
        String(decoding: try readLengthDelimited(), as: UTF8.self)
    }

    mutating func readInt32() throws(WireFormatError) -> Int32 {
        Int32(truncatingIfNeeded: try readVarint())
    }

    /// Calls `body` for each field; `body` reads the value or returns false to have it skipped.
    mutating func forEachField(
        _ body: (UInt32, WireType, inout WireReader) throws -> Bool
    ) throws {
        while !isAtEnd {
            let (field, type) = try readTag()
            if try !body(field, type, &self) { try skip(type) }
        }
    }
}

func decodeDescriptorSet(_ bytes: [UInt8]) throws -> [ProtoFile] {
    try bytes.withUnsafeBytes { raw in
        var files: [ProtoFile] = []
        var reader = WireReader(raw)
        try reader.forEachField { field, type, r in
            guard field == 1, type == .lengthDelimited else { return false }
            files.append(try decodeFile(try r.readLengthDelimited()))
            return true
        }
        return files
    }
}

private func decodeFile(_ bytes: UnsafeRawBufferPointer) throws -> ProtoFile {
    var file = ProtoFile()
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        switch (field, type) {
        case (1, .lengthDelimited): file.name = try r.readString()
        case (2, .lengthDelimited): file.package = try r.readString()
        case (4, .lengthDelimited): file.messages.append(try decodeMessage(try r.readLengthDelimited()))
        case (5, .lengthDelimited): file.enums.append(try decodeEnum(try r.readLengthDelimited()))
        case (6, .lengthDelimited): file.services.append(try decodeService(try r.readLengthDelimited()))
        case (9, .lengthDelimited): try decodeSourceInfo(try r.readLengthDelimited(), into: &file.comments)
        case (12, .lengthDelimited): file.syntax = try r.readString()
        default: return false
        }
        return true
    }
    return file
}

private func decodeMessage(_ bytes: UnsafeRawBufferPointer) throws -> ProtoMessage {
    var message = ProtoMessage()
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        switch (field, type) {
        case (1, .lengthDelimited): message.name = try r.readString()
        case (2, .lengthDelimited): message.fields.append(try decodeField(try r.readLengthDelimited()))
        case (3, .lengthDelimited): message.nested.append(try decodeMessage(try r.readLengthDelimited()))
        case (4, .lengthDelimited): message.enums.append(try decodeEnum(try r.readLengthDelimited()))
        case (7, .lengthDelimited):
            // MessageOptions: map_entry = 7.
            var options = WireReader(try r.readLengthDelimited())
            try options.forEachField { f, t, o in
                guard f == 7, t == .varint else { return false }
                message.isMapEntry = try o.readVarint() != 0
                return true
            }
        case (8, .lengthDelimited):
            var oneof = WireReader(try r.readLengthDelimited())
            var name = ""
            try oneof.forEachField { f, t, o in
                guard f == 1, t == .lengthDelimited else { return false }
                name = try o.readString()
                return true
            }
            message.oneofs.append(name)
        default: return false
        }
        return true
    }
    return message
}

private func decodeField(_ bytes: UnsafeRawBufferPointer) throws -> ProtoField {
    var f = ProtoField()
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        switch (field, type) {
        case (1, .lengthDelimited): f.name = try r.readString()
        case (3, .varint): f.number = try r.readInt32()
        case (4, .varint): f.label = try r.readInt32()
        case (5, .varint): f.type = try r.readInt32()
        case (6, .lengthDelimited): f.typeName = try r.readString()
        case (9, .varint): f.oneofIndex = try r.readInt32()
        case (17, .varint): f.proto3Optional = try r.readVarint() != 0
        default: return false
        }
        return true
    }
    return f
}

private func decodeEnum(_ bytes: UnsafeRawBufferPointer) throws -> ProtoEnum {
    var e = ProtoEnum()
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        switch (field, type) {
        case (1, .lengthDelimited): e.name = try r.readString()
        case (2, .lengthDelimited):
            var v = WireReader(try r.readLengthDelimited())
            var name = ""
            var number: Int32 = 0
            try v.forEachField { f, t, v in
                switch (f, t) {
                case (1, .lengthDelimited): name = try v.readString()
                case (2, .varint): number = try v.readInt32()
                default: return false
                }
                return true
            }
            e.values.append((name, number))
        default: return false
        }
        return true
    }
    return e
}

private func decodeService(_ bytes: UnsafeRawBufferPointer) throws -> ProtoService {
    var s = ProtoService()
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        switch (field, type) {
        case (1, .lengthDelimited): s.name = try r.readString()
        case (2, .lengthDelimited):
            var m = ProtoMethod()
            var mr = WireReader(try r.readLengthDelimited())
            try mr.forEachField { f, t, mr in
                switch (f, t) {
                case (1, .lengthDelimited): m.name = try mr.readString()
                case (2, .lengthDelimited): m.inputType = try mr.readString()
                case (3, .lengthDelimited): m.outputType = try mr.readString()
                case (5, .varint): m.clientStreaming = try mr.readVarint() != 0
                case (6, .varint): m.serverStreaming = try mr.readVarint() != 0
                default: return false
                }
                return true
            }
            s.methods.append(m)
        default: return false
        }
        return true
    }
    return s
}

private func decodeSourceInfo(_ bytes: UnsafeRawBufferPointer, into comments: inout [[Int32]: String]) throws {
    var r = WireReader(bytes)
    try r.forEachField { field, type, r in
        guard field == 1, type == .lengthDelimited else { return false }
        var path: [Int32] = []
        var leading = ""
        var trailing = ""
        var loc = WireReader(try r.readLengthDelimited())
        try loc.forEachField { f, t, loc in
            switch (f, t) {
            case (1, .lengthDelimited):
                var packed = WireReader(try loc.readLengthDelimited())
                while !packed.isAtEnd { path.append(try packed.readInt32()) }
            case (1, .varint): path.append(try loc.readInt32())
            case (3, .lengthDelimited): leading = try loc.readString()
            case (4, .lengthDelimited): trailing = try loc.readString()
            default: return false
            }
            return true
        }
        let text = leading.isEmpty ? trailing : leading
        if !text.isEmpty { comments[path] = text }
        return true
    }
}
