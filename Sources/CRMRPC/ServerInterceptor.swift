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
    /// Wraps every method registered so far in `interceptor`. The last one added runs first, so
    /// register the services, then add interceptors innermost first (errors, then auth).
    public mutating func intercept(with interceptor: some ServerInterceptor) {
        for (path, route) in routes {
            let invoke = route.invoke
            routes[path] = Route(descriptor: route.descriptor) { body, limits, context, output in
                try await interceptor.intercept(context: context) { context in
                    try await invoke(body, limits, context, output)
                }
            }
        }
    }
}
