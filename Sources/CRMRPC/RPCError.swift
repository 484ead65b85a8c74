import CRMWire

/// How a call failed: a canonical status code, a message, and the request's bad fields.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// gRPC's canonical codes, with the same numbers (crm.rpc.v1.Code).
    public typealias Code = RpcV1.Code

    public var code: Code
    public var message: String
    public var violations: [RpcV1.FieldViolation]
    /// What an ALREADY_EXISTS refusal would have duplicated, when the caller may see it.
    public var existing: [RpcV1.ExistingEntity] = []

    public init(_ code: Code, _ message: String, violations: [RpcV1.FieldViolation] = [], existing: [RpcV1.ExistingEntity] = []) {
        self.code = code
        self.message = message
        self.violations = violations
        self.existing = existing
    }

    /// INVALID_ARGUMENT naming one field.
    public static func invalidArgument(field: String, _ description: String) -> RPCError {
        RPCError(.invalidArgument, "\(field) \(description)", violations: [RpcV1.FieldViolation(field: field, description: description)])
    }

    /// INVALID_ARGUMENT naming every bad field.
    public static func invalidArgument(_ violations: [RpcV1.FieldViolation]) -> RPCError {
        let summary = violations.map { "\($0.field) \($0.description)" }.joined(separator: "; ")
        return RPCError(.invalidArgument, summary, violations: violations)
    }

    /// The error a message that does not decode becomes.
    public init(decoding error: WireError, of what: String) {
        switch error.reason {
        case .budgetExceeded:
            self.init(.resourceExhausted, "\(what) \(error.detail)")
        default:
            let field = error.field.isEmpty ? what : error.field
            self.init(.invalidArgument, "\(what): \(error)", violations: [RpcV1.FieldViolation(field: field, description: error.detail)])
        }
    }

    public init(status: RpcV1.Status) {
        self.init(status.code, status.message, violations: status.violations, existing: status.existing)
    }

    public var status: RpcV1.Status {
        RpcV1.Status(code: code, message: message, violations: violations, existing: existing)
    }

    public var description: String {
        var text = "\(code.name): \(message)"
        for v in violations where !message.contains(v.field) { text += "; \(v.field) \(v.description)" }
        return text
    }
}

extension RPCError.Code {
    /// The code's gRPC name, such as "INVALID_ARGUMENT".
    public var name: String {
        let proto = protoName
        return proto.hasPrefix("CODE_") ? String(proto.dropFirst(5)) : proto
    }
}
