/// A message that could not be decoded or encoded.
///
/// `field` is the path of the offending field in the message, such as "lead.emails[1]", or
/// empty when the bytes as a whole are at fault. The RPC layer turns these into
/// INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for `.budgetExceeded`) with a field violation.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Not well-formed protobuf, or not a valid encoding of the expected message.
        case malformed(String)
        /// A string field that is not valid UTF-8.
        case invalidUTF8
        /// A string field containing U+0000, which protobuf-c's C strings cannot carry.
        case containsNUL
        /// Messages nested deeper than `DecodeLimits.maxDepth`.
        case tooDeep
        /// Decoding would allocate more than `DecodeLimits.allocationBudget(forSize:)` allows.
        case budgetExceeded
        /// A repeated field with more elements than `DecodeLimits.maxRepeated`.
        case tooManyElements(Int)
    }

    public var reason: Reason
    public var field: String

    public init(_ reason: Reason, field: String = "") {
        self.reason = reason
        self.field = field
    }

    /// A sentence for the field violation or the status message.
    public var detail: String {
        switch reason {
        case .malformed(let why): return "is not a valid protobuf encoding (\(why))"
        case .invalidUTF8: return "is not valid UTF-8"
        case .containsNUL: return "contains a NUL character, which is not accepted"
        case .tooDeep: return "nests messages too deeply"
        case .budgetExceeded: return "needs more memory to decode than the server allows"
        case .tooManyElements(let limit): return "has more than \(limit) elements"
        }
    }

    public var description: String {
        field.isEmpty ? "message \(detail)" : "field \(field) \(detail)"
    }

    /// The same error, with `component` put in front of its field path.
    func nested(in component: String) -> WireError {
        var copy = self
        copy.field = field.isEmpty ? component : component + "." + field
        return copy
    }
}
