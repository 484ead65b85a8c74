/// Every message and enum of the descriptor set, by fully qualified proto name (".pkg.Name").
struct TypeIndex {
    struct Entry {
        var protoName: String  // "crm.testing.v1.AllKinds"
        var swiftName: String  // "TestingV1.AllKinds"
        var message: ProtoMessage?
        var enumType: ProtoEnum?
        var cType: String { Naming.cTypeName(protoName) }
        var cLower: String { Naming.cLowerName(protoName) }
    }

    private(set) var entries: [String: Entry] = [:]

    init(files: [ProtoFile]) {
        for file in files {
            let namespace = Naming.namespace(ofPackage: file.package)
            for m in file.messages { add(m, protoPrefix: file.package, swiftPrefix: namespace) }
            for e in file.enums { add(e, protoPrefix: file.package, swiftPrefix: namespace) }
        }
    }

    private mutating func add(_ m: ProtoMessage, protoPrefix: String, swiftPrefix: String) {
        let protoName = protoPrefix + "." + m.name
        let swiftName = swiftPrefix + "." + m.name
        entries["." + protoName] = Entry(protoName: protoName, swiftName: swiftName, message: m)
        for n in m.nested { add(n, protoPrefix: protoName, swiftPrefix: swiftName) }
        for e in m.enums { add(e, protoPrefix: protoName, swiftPrefix: swiftName) }
    }

    private mutating func add(_ e: ProtoEnum, protoPrefix: String, swiftPrefix: String) {
        let protoName = protoPrefix + "." + e.name
        entries["." + protoName] = Entry(protoName: protoName, swiftName: swiftPrefix + "." + e.name, enumType: e)
    }

    func resolve(_ typeName: String) throws -> Entry {
        guard let entry = entries[typeName] else { throw GeneratorError("unknown type \(typeName)") }
        return entry
    }
}

struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
