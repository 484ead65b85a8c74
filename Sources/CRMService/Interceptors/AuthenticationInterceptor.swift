import CRMDomain
import CRMRPC

/// Verifies the call's token once, before the handler, and makes its claims the call's
/// `Caller` (`ServerContext.caller()`). Methods in `publicMethods` (such as Login) pass through.
/// With a `CallerDirectory`, the caller's account is checked too, so a deactivated or deleted
/// user's token stops working and a role change takes effect without a new token.
public struct AuthenticationInterceptor: ServerInterceptor {
    public let authenticator: Authenticator
    public let publicMethods: Set<String>
    public let directory: CallerDirectory?

    public init(authenticator: Authenticator, publicMethods: Set<String> = [], directory: CallerDirectory? = nil) {
        self.authenticator = authenticator
        self.publicMethods = publicMethods
        self.directory = directory
    }

    public func intercept<Output: Sendable>(
        context: ServerContext,
        next: @Sendable (ServerContext) async throws -> Output
    ) async throws -> Output {
        // Health answers anyone (load balancers, `crm status`), like gRPC's health service.
        if context.method.service == "crm.rpc.v1.Health" || publicMethods.contains(context.method.path) { return try await next(context) }
        var caller = try authenticator.caller(of: context)
        if let directory { caller = try await directory.current(caller, context: context) }
        return try await CallerContext.$current.withValue(caller) { try await next(context) }
    }
}
