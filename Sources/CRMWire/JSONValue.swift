/// A JSON document as written: numbers keep their text (so 64-bit integers and decimals stay
/// exact) and objects keep their members' order (so output follows the .proto's field order).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's text, as RFC 8259 writes it ("-12", "0.5", "1e-9").
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// A number from an integer.
    public static func integer<I: BinaryInteger>(_ value: I) -> JSONValue { .number(String(value)) }

    /// The member named `key` of an object (the last one, as most parsers do), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The value as a string, for `.string` only.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as an integer, for a `.number` that is one (or a string holding one).
    public var int64Value: Int64? {
        switch self {
        case .number(let text), .string(let text): Int64(text)
        default: nil
        }
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// JSON text that is not well-formed, with where it goes wrong.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String

    public var description: String { "JSON syntax error at line \(line), column \(column): \(reason)" }
}
