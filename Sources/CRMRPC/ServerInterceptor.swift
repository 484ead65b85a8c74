/// Code that runs around every call a router dispatches, before and after the handler:
/// authentication, error mapping, logging. Like grpc-swift's `ServerInterceptor`, an interceptor
/// sees the call's context and decides whether and how `next` runs.
public protocol ServerInterceptor: Sendable {
    /// Runs the rest of the chain (the next interceptor, at the end the handler) by calling
    /// `next`, or refuses the call by throwing instead.
    func intercept<Output: Sendable>(
        context: ServerContext,
        next: @Sendable (ServerContext) async throws -> Output
    ) async throws -> Output
}

extension RPCRouter {
    /// Runs `interceptor` around every handler of this router, after the request has decoded.
    /// The last one added runs first: add them innermost first (errors, then authentication).
    public mutating func intercept(with interceptor: some ServerInterceptor) {
        interceptors.append(interceptor)
    }
}
