import ArgumentParser
import CRMRPC
import Foundation
import ServiceLifecycle

/// The steps every service executable takes, in order: settings (flags over `CRM_*` environment
/// over the config file), logging, the service's own assembly (database, handlers), the server
/// and the lifecycle. A service that cannot start says why in one line and exits 1; a bad
/// setting is a usage error (64).
public enum ServiceMain {
    /// The merged settings, or a usage error naming the bad one.
    public static func settings(_ sources: SettingsSources, defaults: ServiceSettings) throws -> ServiceSettings {
        do throws(SettingsError) {
            return try ServiceSettings.resolve(sources, defaults: defaults)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// A HOST:PORT a service's own option gives, or a usage error naming the option.
    public static func endpoint(_ text: String, setting: String) throws -> ServiceSettings.Endpoint {
        do throws(SettingsError) {
            return try ServiceSettings.parseEndpoint(text, setting: setting)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Logging, then metrics (before the database opens, so its counters go to the endpoint).
    public static func bootstrap(_ settings: ServiceSettings) {
        ServiceRunner.bootstrapLogging(level: settings.logLevel)
        if settings.metricsEndpoint != nil { _ = MetricsEndpoint.bootstrap() }
    }

    /// Runs the service's assembly; a failure (an unreadable database, a bad secret) ends the
    /// process with one line on standard error and exit status 1.
    public static func start<T>(_ name: String, _ assemble: () throws -> T) throws -> T {
        do {
            return try assemble()
        } catch let error as SettingsError {
            fail(name, error.description)
        } catch {
            fail(name, "cannot start: \(error)")
        }
    }

    /// Serves `router` until SIGTERM or SIGINT; a port that cannot be bound ends the process
    /// with one line and exit status 1.
    public static func serve(_ name: String, settings: ServiceSettings, router: RPCRouter, background: [any Service] = []) async throws {
        do {
            try await ServiceRunner.run(name: name, settings: settings, router: router, version: CRMVersion.current, background: background, databasePath: settings.databasePath)
        } catch {
            fail(name, "cannot serve on \(settings.host):\(settings.port): \(error)")
        }
    }

    /// Runs the backup or restore `options` ask for, printing what it did; false when they ask
    /// for neither (the service is to be served). A failure ends the process with one line and
    /// exit status 1.
    public static func maintain(_ name: String, _ options: MaintenanceOptions, settings: ServiceSettings) -> Bool {
        let path = settings.databasePath
        do {
            if let destination = options.backupTo {
                let summary = try DatabaseBackup.backup(databasePath: path, to: destination)
                print("\(name): backed up \(path) to \(destination): \(summary.bytes) bytes, \(summary.events) events up to sequence \(summary.lastSequence); integrity ok")
                return true
            }
            if let backup = options.restoreFrom {
                let summary = try DatabaseBackup.restore(from: backup, to: path)
                print("\(name): restored \(path) from \(backup): \(summary.bytes) bytes, \(summary.events) events up to sequence \(summary.lastSequence); the previous database is \(path).before-restore")
                return true
            }
        } catch {
            fail(name, options.backupTo != nil ? "backup failed: \(error)" : "restore failed: \(error)")
        }
        return false
    }

    public static func fail(_ name: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("\(name): \(message)\n".utf8))
        exit(1)
    }
}
