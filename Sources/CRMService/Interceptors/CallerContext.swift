import CRMDomain
import CRMRPC

/// The caller of the call being served, set once by `AuthenticationInterceptor` before the
/// handler runs (a task-local, as the call is one task), so a handler asks for it instead of
/// verifying the token itself.
public enum CallerContext {
    @TaskLocal public static var current: Caller?
}

extension ServerContext {
    /// The authenticated caller. UNAUTHENTICATED when the method is not behind
    /// `AuthenticationInterceptor` (a public method has no caller).
    public func caller() throws(RPCError) -> Caller {
        guard let caller = CallerContext.current else {
            throw RPCError(.unauthenticated, "this call needs a token: log in first")
        }
        return caller
    }
}
