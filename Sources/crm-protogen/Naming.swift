// Names on both sides of the bridge: the Swift names this generator chooses, and the C names
// protoc-c 1.4 gives (reproduced from its FullNameToC / FullNameToLower rules; the compiler
// checks every one of them when the generated code builds against the protoc-c headers).

enum Naming {
    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
        "init", "inout", "internal", "let", "open", "operator", "private", "precedencegroup",
        "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "as", "Any", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
        "await", "async", "some", "any", "Type", "Protocol", "consume", "borrowing", "consuming",
    ]

    /// C and C++ keywords: protoc-c renames fields that use them, so the generator refuses them.
    static let cKeywords: Set<String> = [
        "auto", "bool", "break", "case", "char", "class", "const", "continue", "default", "delete",
        "do", "double", "else", "enum", "explicit", "extern", "false", "float", "for", "friend",
        "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "operator", "private",
        "protected", "public", "register", "return", "short", "signed", "sizeof", "static",
        "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "while",
    ]

    /// "call_id" -> "callId"; "LEAD_TYPE" -> "leadType".
    static func lowerCamel(_ snake: String) -> String {
        let parts = snake.split(separator: "_", omittingEmptySubsequences: true)
        var out = ""
        for (i, part) in parts.enumerated() {
            let lower = part.lowercased()
            if i == 0 {
                // Keep an already camel-cased first word ("CreateLead" -> "createLead").
                if part.contains(where: \.isLowercase) {
                    out += part.prefix(1).lowercased() + part.dropFirst()
                } else {
                    out += lower
                }
            } else if part.contains(where: \.isLowercase) {
                out += part.prefix(1).uppercased() + part.dropFirst()
            } else {
                out += lower.prefix(1).uppercased() + lower.dropFirst()
            }
        }
        if let first = out.first, first.isNumber { out = "_" + out }
        return out
    }

    /// "testing" -> "Testing", "lead_type" -> "LeadType".
    static func upperCamel(_ snake: String) -> String {
        let camel = lowerCamel(snake)
        return camel.prefix(1).uppercased() + camel.dropFirst()
    }

    static func escaped(_ name: String) -> String {
        swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    /// The Swift namespace of a proto package: "crm.leads.v1" -> "LeadsV1".
    static func namespace(ofPackage package: String) -> String {
        var parts = package.split(separator: ".").map(String.init)
        if parts.first == "crm" && parts.count > 1 { parts.removeFirst() }
        return parts.map(upperCamel).joined()
    }

    // MARK: protoc-c

    /// protoc-c's ToCamel: "v1" -> "V1", "lead_type" -> "LeadType".
    static func cCamel(_ name: String) -> String {
        var out = ""
        var upperNext = true
        for ch in name {
            if ch == "_" {
                upperNext = true
            } else if upperNext {
                out += ch.uppercased()
                upperNext = false
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// protoc-c's CamelToLower: "AllKinds" -> "all_kinds".
    static func cLower(_ name: String) -> String {
        var out = ""
        var wasUpper = true
        for ch in name {
            if ch.isUppercase {
                if !wasUpper { out += "_" }
                out += ch.lowercased()
                wasUpper = true
            } else {
                out.append(ch)
                wasUpper = false
            }
        }
        return out
    }

    /// "crm.testing.v1.AllKinds" -> "Crm__Testing__V1__AllKinds".
    static func cTypeName(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cCamel(String($0)) }.joined(separator: "__")
    }

    /// "crm.testing.v1.AllKinds" -> "crm__testing__v1__all_kinds".
    static func cLowerName(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cLower(String($0)) }.joined(separator: "__")
    }

    /// The prefix protobuf style puts on enum values: "FrameKind" -> "FRAME_KIND_".
    static func enumValuePrefix(_ enumName: String) -> String {
        cLower(enumName).uppercased() + "_"
    }
}
