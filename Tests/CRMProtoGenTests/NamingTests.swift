import Testing
@testable import crm_protogen

@Suite("crm-protogen's names match protoc-c's and read well in Swift", .timeLimit(.minutes(3)))
struct NamingTests {
    @Test("C type and function names follow protoc-c")
    func cNames() {
        #expect(Naming.cTypeName("crm.testing.v1.AllKinds") == "Crm__Testing__V1__AllKinds")
        #expect(Naming.cTypeName("crm.leads.v1.lead_type") == "Crm__Leads__V1__LeadType")
        #expect(Naming.cLowerName("crm.testing.v1.AllKinds") == "crm__testing__v1__all_kinds")
        #expect(Naming.cLowerName("crm.rpc.v1.HealthCheckRequest") == "crm__rpc__v1__health_check_request")
        #expect(Naming.enumValuePrefix("FrameKind") == "FRAME_KIND_")
    }

    @Test("Swift names are camel case and keywords are escaped")
    func swiftNames() {
        #expect(Naming.lowerCamel("call_id") == "callId")
        #expect(Naming.lowerCamel("INVALID_ARGUMENT") == "invalidArgument")
        #expect(Naming.lowerCamel("CreateLead") == "createLead")
        #expect(Naming.lowerCamel("r_int64") == "rInt64")
        #expect(Naming.lowerCamel("2FA") == "_2fa")
        #expect(Naming.upperCamel("lead_type") == "LeadType")
        #expect(Naming.escaped("default") == "`default`")
        #expect(Naming.escaped("lead") == "lead")
        #expect(Naming.namespace(ofPackage: "crm.leads.v1") == "LeadsV1")
        #expect(Naming.namespace(ofPackage: "other.pkg") == "OtherPkg")
    }

    @Test("fields named like C keywords, proto3 optional and maps are refused")
    func refusals() throws {
        let types = TypeIndex(files: [])
        #expect(throws: GeneratorError.self) { try FieldModel(ProtoField(name: "template", number: 1, type: 9), comment: nil, types: types) }
        #expect(throws: GeneratorError.self) { try FieldModel(ProtoField(name: "x", number: 1, type: 9, proto3Optional: true), comment: nil, types: types) }
        #expect(throws: GeneratorError.self) { try FieldModel(ProtoField(name: "g", number: 1, type: 10), comment: nil, types: types) }
    }

    @Test("a message that contains itself is refused")
    func recursion() throws {
        var node = ProtoMessage(name: "Node")
        node.fields = [ProtoField(name: "next", number: 1, type: 11, typeName: ".p.Node")]
        var file = ProtoFile(name: "p.proto", package: "p", syntax: "proto3")
        file.messages = [node]
        let types = TypeIndex(files: [file])
        #expect(throws: GeneratorError.self) { try WireEmitter(file: file, types: types).emit() }
        // Repeated self-reference is a plain array in Swift, and allowed.
        file.messages[0].fields[0].label = 3
        _ = try WireEmitter(file: file, types: TypeIndex(files: [file])).emit()
    }
}
