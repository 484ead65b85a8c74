/// One RPC as it is named on the wire.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// One request, one response.
        case unary
        /// One request, any number of responses.
        case serverStreaming
    }

    /// The service's full name, such as "crm.leads.v1.Leads".
    public let service: String
    /// The method's name, such as "CreateLead".
    public let method: String
    public let kind: Kind

    public init(service: String, method: String, kind: Kind) {
        self.service = service
        self.method = method
        self.kind = kind
    }

    /// The full method name carried in the request header: "/crm.leads.v1.Leads/CreateLead".
    public var path: String { "/\(service)/\(method)" }

    public var description: String { path }
}
