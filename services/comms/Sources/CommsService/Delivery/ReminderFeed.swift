import CRMAPI
import CRMRPC
import CRMService
import CRMWire

/// crm-activities' feed as crm-comms follows it (as a service, with the kit's `FeedFollower`):
/// the reminders it implies, one per open activity, due a lead time before it starts; moved
/// with the activity, dropped when it is completed, cancelled or deleted. Each batch is applied
/// with the cursor in one transaction.
struct ReminderFeed: SourceFeed {
    let database: ServiceDatabase
    let activities: RPCClient
    let leadTimeMillis: Int64
    var source: String { "crm.activities.v1.Activities" }

    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [ActivitiesV1.ActivityEvent], head: Int64) {
        let answer = try await ActivitiesV1.Activities.Client(activities).listEvents(ActivitiesV1.ListEventsRequest(after: after, limit: limit), options: options)
        return (answer.events, answer.head)
    }

    func watch(after: Int64, options: CallOptions) -> ResponseStream<ActivitiesV1.ActivityEvent> {
        ActivitiesV1.Activities.Client(activities).watchEvents(ActivitiesV1.WatchEventsRequest(after: after), options: options)
    }

    func sequence(_ event: ActivitiesV1.ActivityEvent) -> Int64 { event.sequence }

    func applied() async throws -> Int64 {
        try await database.read { db in try ReminderStore.cursor(db, source: "activities") }
    }

    func apply(_ events: [ActivitiesV1.ActivityEvent], head: Int64, options: CallOptions) async throws {
        let leadTime = leadTimeMillis
        try await database.write { db in
            let cursor = try ReminderStore.cursor(db, source: "activities")
            for event in events where event.sequence > cursor { try ReminderStore.apply(db, event, leadTimeMillis: leadTime) }
        }
    }
}
