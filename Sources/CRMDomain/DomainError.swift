/// Why a business rule refused an operation. Handlers turn each case into the matching RPC
/// status code; the domain itself knows nothing of the wire.
public enum DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Bad input: one violation per field (INVALID_ARGUMENT).
    case invalid([Violation])
    /// The entity does not exist, or the caller may not see it (NOT_FOUND).
    case notFound(String)
    /// The entity already exists (ALREADY_EXISTS), with what it is when the caller may know.
    case alreadyExists(String, existing: [Existing] = [])
    /// The caller's role does not allow it (PERMISSION_DENIED).
    case permissionDenied(String)
    /// The state does not allow it (FAILED_PRECONDITION).
    case failedPrecondition(String)
    /// The entity changed since the caller read it (ABORTED).
    case stale(String)
    /// The caller is not who they claim (UNAUTHENTICATED).
    case unauthenticated(String)

    public var description: String {
        switch self {
        case .invalid(let violations): return violations.map { "\($0.field) \($0.description)" }.joined(separator: "; ")
        case .notFound(let m), .alreadyExists(let m, _), .permissionDenied(let m), .failedPrecondition(let m), .stale(let m), .unauthenticated(let m):
            return m
        }
    }
}

/// One bad field of a request.
public struct Violation: Sendable, Hashable {
    /// The field's path, such as "user.email".
    public var field: String
    /// What is wrong, as a sentence without the field's name.
    public var description: String

    public init(_ field: String, _ description: String) {
        self.field = field
        self.description = description
    }
}

/// Collects violations while a request is checked, then throws them all at once.
public struct Violations: Sendable {
    public private(set) var all: [Violation] = []

    public init() {}

    public mutating func add(_ field: String, _ description: String) {
        all.append(Violation(field, description))
    }

    /// Throws `.invalid` when anything was collected.
    public func check() throws(DomainError) {
        if !all.isEmpty { throw DomainError.invalid(all) }
    }
}

/// What a refused creation would have duplicated.
public struct Existing: Sendable, Hashable {
    /// "lead", "user", "unit", ...
    public var kind: String
    public var id: Int64
    /// The request's field whose value it already has.
    public var field: String
    public var value: String

    public init(_ kind: String, id: Int64, field: String, value: String) {
        self.kind = kind
        self.id = id
        self.field = field
        self.value = value
    }
}
