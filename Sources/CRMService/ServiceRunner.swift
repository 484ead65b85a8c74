import CRMRPC
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Starts a service process: logging, the RPC server with its routes, signal handling, and the
/// other services of the process (background workers), then waits until shutdown.
public enum ServiceRunner {
    /// Sets up swift-log once per process: structured lines on standard error at `level`.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Runs until SIGTERM or SIGINT, then drains and returns.
    public static func run(
        name: String,
        settings: ServiceSettings,
        router: RPCRouter,
        version: String,
        background: [any Service] = [],
        databasePath: String? = nil
    ) async throws {
        var logger = Logger(label: name)
        logger.logLevel = settings.logLevel
        // Metrics first, so every counter made from here on goes to the endpoint's registry.
        var metrics: MetricsEndpoint?
        if let endpoint = settings.metricsEndpoint {
            _ = MetricsEndpoint.bootstrap()
            let databaseBytes = Gauge(label: "crm_database_bytes")
            metrics = MetricsEndpoint(host: endpoint.host, port: endpoint.port, logger: logger) {
                if let databasePath { databaseBytes.record(DatabaseFiles.size(databasePath)) }
            }
        }
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: settings.host, port: settings.port, version: version),
            router: router,
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: RPCServerService(server: server, gracePeriod: settings.gracePeriod), serviceName: "rpc-server")
        ]
        if let metrics { services.append(.init(service: metrics, serviceName: "metrics")) }
        services += background.map { .init(service: $0) }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        // Past the grace period (plus a margin to close files), shutdown turns into cancellation.
        configuration.maximumGracefulShutdownDuration = settings.gracePeriod + .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
