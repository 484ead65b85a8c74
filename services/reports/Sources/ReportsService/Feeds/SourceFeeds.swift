import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB
import Synchronization

/// What both of the read model's feeds share: the database, the clock, the feed's cursor row,
/// and the schedule of the planner's statistics.
struct ReadModelStore: Sendable {
    let database: ServiceDatabase
    let clock: WallClock
    let statistics: StatisticsSchedule

    func applied(_ source: String) async throws -> Int64 {
        try await database.read { db in try FeedCursorStore.applied(db, source) }
    }

    func note(_ source: String, head: Int64?, error: String) async {
        try? await database.write { db in try FeedCursorStore.note(db, source, head: head, error: error) }
    }

    /// A batch in a transaction of its own: the follower is its feed's only writer, and a batch
    /// is big (a group transaction's savepoint would journal every page it touches).
    func apply(count: Int, _ body: @escaping @Sendable (Database, Int64) throws -> Void) async throws {
        let now = clock.millis()
        try await database.writeBatch { db in try body(db, now) }
        if statistics.due(after: count) { try await database.writeBatch { db in try ReadModel.refreshStatistics(db) } }
    }
}

/// Counts rows applied, and says when the planner's statistics are due again.
final class StatisticsSchedule: Sendable {
    private let since = Mutex(0)

    func due(after count: Int) -> Bool {
        since.withLock { since in
            since += count
            guard since >= ReadModel.statisticsInterval else { return false }
            since = 0
            return true
        }
    }
}

/// crm-leads' feed: leads, users, units and configuration changes.
struct LeadsFeed: SourceFeed {
    let connection: RPCClient
    let store: ReadModelStore
    var source: String { FeedCursorStore.leads }

    func prepare(options: CallOptions) async throws {
        let configuration = try await LeadsV1.LeadConfig.Client(connection).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options)
        let directory = LeadsV1.Directory.Client(connection)
        var users: [LeadsV1.User] = [], units: [LeadsV1.Unit] = []
        var token = ""
        repeat {
            let page = try await directory.listUsers(LeadsV1.ListUsersRequest(pageSize: 500, pageToken: token), options: options)
            users += page.users
            token = page.nextPageToken
        } while !token.isEmpty
        repeat {
            let page = try await directory.listUnits(LeadsV1.ListUnitsRequest(pageSize: 500, pageToken: token), options: options)
            units += page.units
            token = page.nextPageToken
        } while !token.isEmpty
        let (allUsers, allUnits) = (users, units)
        try await store.database.write { db in
            try NameStore.putConfiguration(db, configuration)
            for unit in allUnits { try NameStore.putUnit(db, unit) }
            for user in allUsers { try NameStore.putUser(db, user) }
        }
    }

    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [LeadsV1.LeadEvent], head: Int64) {
        let answer = try await LeadsV1.Leads.Client(connection).listEvents(LeadsV1.ListEventsRequest(after: after, limit: limit), options: options)
        return (answer.events, answer.head)
    }

    func watch(after: Int64, options: CallOptions) -> ResponseStream<LeadsV1.LeadEvent> {
        LeadsV1.Leads.Client(connection).watchEvents(LeadsV1.WatchEventsRequest(after: after), options: options)
    }

    func sequence(_ event: LeadsV1.LeadEvent) -> Int64 { event.sequence }
    func applied() async throws -> Int64 { try await store.applied(source) }
    func note(head: Int64?, error: String) async { await store.note(source, head: head, error: error) }

    func apply(_ events: [LeadsV1.LeadEvent], head: Int64, options: CallOptions) async throws {
        // The configuration event says "read it again": read it before the transaction that applies the batch.
        let configuration = events.contains { $0.type == .configurationChanged }
            ? try await LeadsV1.LeadConfig.Client(connection).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options) : nil
        try await store.apply(count: events.count) { db, now in try ReadModel.applyLeads(db, events, head: head, configuration: configuration, now: now) }
    }
}

/// crm-activities' feed: activities, tasks and incidents.
struct ActivitiesFeed: SourceFeed {
    let connection: RPCClient
    let store: ReadModelStore
    var source: String { FeedCursorStore.activities }

    func prepare(options: CallOptions) async throws {
        var types: [ActivitiesV1.WorkType] = []
        for scope in [ActivitiesV1.TypeScope.activity, .task, .incident] {
            types += try await ActivitiesV1.Activities.Client(connection).listWorkTypes(ActivitiesV1.ListWorkTypesRequest(scope: scope), options: options).workTypes
        }
        let all = types
        try await store.database.write { db in try NameStore.putWorkTypes(db, all) }
    }

    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [ActivitiesV1.ActivityEvent], head: Int64) {
        let answer = try await ActivitiesV1.Activities.Client(connection).listEvents(ActivitiesV1.ListEventsRequest(after: after, limit: limit), options: options)
        return (answer.events, answer.head)
    }

    func watch(after: Int64, options: CallOptions) -> ResponseStream<ActivitiesV1.ActivityEvent> {
        ActivitiesV1.Activities.Client(connection).watchEvents(ActivitiesV1.WatchEventsRequest(after: after), options: options)
    }

    func sequence(_ event: ActivitiesV1.ActivityEvent) -> Int64 { event.sequence }
    func applied() async throws -> Int64 { try await store.applied(source) }
    func note(head: Int64?, error: String) async { await store.note(source, head: head, error: error) }

    func apply(_ events: [ActivitiesV1.ActivityEvent], head: Int64, options: CallOptions) async throws {
        try await store.apply(count: events.count) { db, now in try ReadModel.applyActivities(db, events, head: head, now: now) }
    }
}
