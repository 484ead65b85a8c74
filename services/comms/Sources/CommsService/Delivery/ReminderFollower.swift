import CRMAPI
import CRMRPC
import CRMService
import CRMWire
import Foundation
import Logging
import ServiceLifecycle

/// Follows crm-activities' event feed (as a service) and keeps the reminders it implies: one per
/// open activity, due a lead time before it starts; moved with the activity, dropped when it is
/// completed, cancelled or deleted. Each event is applied with the cursor in one transaction; after
/// any break (crm-activities down, a restart) it catches up from the stored cursor.
final class ReminderFollower: Service, Sendable {
    let database: ServiceDatabase
    let activities: RPCClient
    let token: @Sendable () -> String
    let leadTimeMillis: Int64
    let logger: Logger

    init(database: ServiceDatabase, activities: RPCClient, token: @escaping @Sendable () -> String, leadTimeMillis: Int64, logger: Logger) {
        self.database = database
        self.activities = activities
        self.token = token
        self.leadTimeMillis = leadTimeMillis
        self.logger = logger
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.follow() }
        } catch is CancellationError {
            return
        }
    }

    private func follow() async throws {
        var pause = Duration.milliseconds(500)
        while !Task.isCancelled {
            do {
                let after = try await database.read { db in try ReminderStore.cursor(db, source: "activities") }
                let options = CallOptions(metadata: Metadata(authorization: "Bearer \(token())"))
                for try await event in ActivitiesV1.Activities.Client(activities).watchEvents(ActivitiesV1.WatchEventsRequest(after: after), options: options) {
                    try await apply(event)
                    pause = .milliseconds(500)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.notice("following crm-activities' feed paused", metadata: ["error": "\(error)", "retry_in": "\(pause)"])
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(10))
        }
    }

    func apply(_ event: ActivitiesV1.ActivityEvent) async throws {
        let leadTime = leadTimeMillis
        try await database.write { db in try ReminderStore.apply(db, event, leadTimeMillis: leadTime) }
    }
}
