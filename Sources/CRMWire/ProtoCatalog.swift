import CProtobufC

/// Every service, method and message of proto/, found by name: what a generic client (`crm call`)
/// needs to reach an RPC before it has a friendly command. Built from protoc-c's descriptors.
public enum ProtoCatalog {
    /// Every service, in the order of the .proto files.
    public static let services: [ProtoService] = generated.map { entry in
        let d = entry.descriptor
        let methods = (0..<Int(d.n_methods)).map { i in
            let m = d.methods[i]
            let name = String(cString: m.name)
            return ProtoMethod(
                service: String(cString: d.name), name: name,
                input: ProtoMessageType(m.input), output: ProtoMessageType(m.output),
                serverStreaming: entry.streaming.contains(name))
        }
        return ProtoService(name: String(cString: d.name), methods: methods)
    }

    /// The service with this full name ("crm.leads.v1.Leads") or, when only one has it, short
    /// name ("Leads"); case is ignored.
    public static func service(named name: String) -> ProtoService? {
        let lower = name.lowercased()
        if let exact = services.first(where: { $0.name.lowercased() == lower }) { return exact }
        let short = services.filter { $0.shortName.lowercased() == lower }
        return short.count == 1 ? short[0] : nil
    }

    /// Every message reachable from a method, by full name.
    static let messages: [String: ProtoMessageType] = {
        var found: [String: ProtoMessageType] = [:]
        func visit(_ type: ProtoMessageType) {
            guard found[type.name] == nil else { return }
            found[type.name] = type
            for field in type.fields where field.pointee.type == PROTOBUF_C_TYPE_MESSAGE {
                visit(ProtoMessageType(field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)))
            }
        }
        for method in services.flatMap(\.methods) {
            visit(method.input)
            visit(method.output)
        }
        return found
    }()

    /// The message with this full name ("crm.leads.v1.Lead"), when a method uses it.
    public static func message(named name: String) -> ProtoMessageType? { messages[name] }
}

/// One service of proto/.
public struct ProtoService: Sendable {
    /// The full name, such as "crm.leads.v1.Leads".
    public let name: String
    public let methods: [ProtoMethod]

    /// The name without its package, such as "Leads".
    public var shortName: String { String(name.split(separator: ".").last ?? "") }

    /// The method with this name ("CreateLead"), ignoring case.
    public func method(named name: String) -> ProtoMethod? {
        methods.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// One method of a service, with its request and response messages.
public struct ProtoMethod: Sendable {
    public let service: String
    public let name: String
    public let input: ProtoMessageType
    public let output: ProtoMessageType
    /// True when the method answers with a stream of `output` messages.
    public let serverStreaming: Bool
}

/// A message type of proto/, as protoc-c describes it.
public struct ProtoMessageType: @unchecked Sendable, Hashable {
    // Points into protoc-c's static tables, which live as long as the process and never change.
    let descriptor: UnsafePointer<ProtobufCMessageDescriptor>

    init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) {
        self.descriptor = descriptor
    }

    /// The full name, such as "crm.leads.v1.Lead".
    public var name: String { String(cString: descriptor.pointee.name) }

    /// The fields in field-number order.
    var fields: [UnsafePointer<ProtobufCFieldDescriptor>] {
        (0..<Int(descriptor.pointee.n_fields)).map { descriptor.pointee.fields + $0 }
    }

    /// The fields' names, for messages that list them.
    public var fieldNames: [String] { fields.map { String(cString: $0.pointee.name) } }
}
