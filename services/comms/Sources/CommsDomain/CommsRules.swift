import CRMDomain

/// The rules of templates and of delivering messages.
public enum CommsRules {
    public static let name = TextLimit(characters: 200, required: true)
    public static let subject = TextLimit(characters: 500, required: true)
    public static let body = TextLimit(characters: 100_000, required: true, multiline: true)
    /// The most leads one Send names.
    public static let maxLeadsPerSend = 10_000

    /// Checks a template's parts; tag problems come separately (`TemplateText.problems`).
    public static func check(name: String, subject: String, body: String, prefix: String, into v: inout Violations) {
        Self.name.check(name, field: "\(prefix).name", into: &v)
        Self.subject.check(subject, field: "\(prefix).subject", into: &v)
        Self.body.check(body, field: "\(prefix).body", into: &v)
    }

    /// Who may change templates.
    public static func requireTemplateManager(_ caller: Caller) throws(DomainError) {
        guard caller.role == .admin || caller.role == .salesManager else {
            throw DomainError.permissionDenied("only admins and sales managers manage templates")
        }
    }
}

/// When a failed delivery is tried again: exponential backoff with jitter, then FAILED.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var baseDelayMillis: Int64
    public var maxDelayMillis: Int64

    public init(maxAttempts: Int = 6, baseDelayMillis: Int64 = 30_000, maxDelayMillis: Int64 = 3_600_000) {
        self.maxAttempts = maxAttempts
        self.baseDelayMillis = baseDelayMillis
        self.maxDelayMillis = maxDelayMillis
    }

    /// The delay after `attempts` failed attempts (1 for the first), with `jitter` in 0...1 taking
    /// up to a quarter off so that many failures do not come back at once; nil when no attempt is
    /// left.
    public func delay(afterAttempts attempts: Int, jitter: Double) -> Int64? {
        guard attempts < maxAttempts else { return nil }
        let exponent = min(attempts - 1, 30)
        let raw = min(maxDelayMillis, baseDelayMillis << Int64(exponent))
        return raw - Int64(Double(raw) * 0.25 * min(max(jitter, 0), 1))
    }
}
