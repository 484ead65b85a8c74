import CRMAPI
import CRMRPC
import CRMWire
import GRDB

/// crm-leads' feed: leads, users, units and configuration changes.
struct LeadsFeed: SourceFeed {
    let connection: RPCClient
    var source: String { FeedCursorStore.leads }

    func prepare(_ database: ServiceDatabaseWriter, options: CallOptions) async throws {
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
        try await database.write { db in
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

    func apply(_ events: [LeadsV1.LeadEvent], head: Int64, to database: ServiceDatabaseWriter, options: CallOptions, now: Int64) async throws {
        // The configuration event says "read it again": read it before the transaction that applies the batch.
        let configuration = events.contains { $0.type == .configurationChanged }
            ? try await LeadsV1.LeadConfig.Client(connection).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options) : nil
        try await database.write { db in try ReadModel.applyLeads(db, events, head: head, configuration: configuration, now: now) }
    }
}

/// crm-activities' feed: activities, tasks and incidents.
struct ActivitiesFeed: SourceFeed {
    let connection: RPCClient
    var source: String { FeedCursorStore.activities }

    func prepare(_ database: ServiceDatabaseWriter, options: CallOptions) async throws {
        var types: [ActivitiesV1.WorkType] = []
        for scope in [ActivitiesV1.TypeScope.activity, .task, .incident] {
            types += try await ActivitiesV1.Activities.Client(connection).listWorkTypes(ActivitiesV1.ListWorkTypesRequest(scope: scope), options: options).workTypes
        }
        let all = types
        try await database.write { db in try NameStore.putWorkTypes(db, all) }
    }

    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [ActivitiesV1.ActivityEvent], head: Int64) {
        let answer = try await ActivitiesV1.Activities.Client(connection).listEvents(ActivitiesV1.ListEventsRequest(after: after, limit: limit), options: options)
        return (answer.events, answer.head)
    }

    func watch(after: Int64, options: CallOptions) -> ResponseStream<ActivitiesV1.ActivityEvent> {
        ActivitiesV1.Activities.Client(connection).watchEvents(ActivitiesV1.WatchEventsRequest(after: after), options: options)
    }

    func sequence(_ event: ActivitiesV1.ActivityEvent) -> Int64 { event.sequence }

    func apply(_ events: [ActivitiesV1.ActivityEvent], head: Int64, to database: ServiceDatabaseWriter, options: CallOptions, now: Int64) async throws {
        try await database.write { db in try ReadModel.applyActivities(db, events, head: head, now: now) }
    }
}
