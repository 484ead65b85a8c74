import CRMRPC
import ServiceLifecycle

/// Runs an `RPCServer` as a swift-service-lifecycle `Service`: on graceful shutdown (SIGTERM,
/// SIGINT) it stops accepting and lets calls in flight finish within the grace period.
public struct RPCServerService: Service {
    public let server: RPCServer
    public let gracePeriod: Duration

    public init(server: RPCServer, gracePeriod: Duration) {
        self.server = server
        self.gracePeriod = gracePeriod
    }

    public func run() async throws {
        try await server.start()
        // Returns when shutdown is asked for; throws when the task is cancelled instead.
        try? await gracefulShutdown()
        await server.shutdown(gracePeriod: gracePeriod)
    }
}
