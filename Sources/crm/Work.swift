import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

/// `crm work`: what is on my plate, activities and tasks together.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your open activities and tasks, soonest first (--overdue: only those past due).")

    @Flag(help: "Only what is past its end or due date.") var overdue = false
    @Option(help: ArgumentHelp("Judge overdue at this time instead of now, such as next Monday.", valueName: "time")) var asOf: String?
    @Option(help: ArgumentHelp("Someone else's work (login or id), for managers.", valueName: "user")) var user: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let names = try await WorkNames.load(connection, try connection.signedIn())
            let asOfMillis = try CLITime.parse(asOf, "--as-of")
            let someone = try names.userID(user, option: "--user")
            let (activities, tasks) = try await connection.withActivities { client, options in
                let activities = try await client.listActivities(ActivitiesV1.ListActivitiesRequest(
                    filter: ActivitiesV1.ActivityFilter(assigneeIds: someone == 0 ? [] : [someone], statuses: [.open], overdueOnly: overdue,
                                                        overdueAsOf: asOfMillis, mine: someone == 0),
                    pageSize: 500), options: options)
                let tasks = try await client.listTasks(ActivitiesV1.ListTasksRequest(
                    filter: ActivitiesV1.TaskFilter(assigneeIds: someone == 0 ? [] : [someone], statuses: [.open], overdueOnly: overdue,
                                                    overdueAsOf: asOfMillis, mine: someone == 0),
                    pageSize: 500), options: options)
                return (activities, tasks)
            }
            if output.json {
                try output.printJSON(activities)
                try output.printJSON(tasks)
                return
            }
            var rows: [(Int64, [String])] = []
            for a in activities.activities {
                rows.append((a.endAt, ["activity \(a.id)", a.subject, "\(a.leadId) \(a.leadFullName)", names.type(a.typeId), showTime(a.startAt), showDuration(a.timeOverdueMs)]))
            }
            for t in tasks.tasks {
                rows.append((t.dueAt == 0 ? .max : t.dueAt, ["task \(t.id)", t.title, t.leadId == 0 ? "" : String(t.leadId), names.type(t.typeId), showTime(t.dueAt), showDuration(t.timeOverdueMs)]))
            }
            var table = Table(header: ["work", "what", "lead", "type", "when", "overdue"])
            table.rows = rows.sorted { $0.0 < $1.0 }.map(\.1)
            output.printTable(table)
            if !output.csv { print(overdue ? "\(activities.totalCount) activities and \(tasks.totalCount) tasks overdue" : "\(activities.totalCount) open activities, \(tasks.totalCount) open tasks") }
        }
    }
}

/// `crm links`: what is linked to what.
struct Links: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Link leads, activities, tasks and incidents to each other (KIND:ID, such as task:3 incident:7).",
        subcommands: [Add.self, List.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Link two things.")
        @Argument(help: "One end, KIND:ID.") var a: String
        @Argument(help: "The other end, KIND:ID.") var b: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ActivitiesV1.CreateLinkRequest(a: try entityRef(a, "the first end"), b: try entityRef(b, "the second end"))
                let link = try await connection.withActivities(changing: true) { client, options in try await client.createLink(request, options: options) }
                try output.print(link, oneLine("Linked \(showEntity(link.a)) and \(showEntity(link.b)) (link \(link.id))."))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What something is linked to.")
        @Argument(help: "KIND:ID.") var entity: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let ref = try entityRef(entity, "the entity")
                let answer = try await connection.withActivities { client, options in
                    try await client.listLinks(ActivitiesV1.ListLinksRequest(entity: ref), options: options)
                }
                var table = Table(header: ["link", "linked to", "since"])
                for link in answer.links { table.rows.append([String(link.id), showEntity(link.a == ref ? link.b : link.a), showTime(link.createdAt)]) }
                try output.print(answer, table)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a link.")
        @Argument(help: "The link's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withActivities(changing: true) { client, options in
                    try await client.deleteLink(ActivitiesV1.DeleteLinkRequest(id: id), options: options)
                }
                print("Removed link \(id).")
            }
        }
    }
}

/// `crm work-types`: the configurable types of activities, tasks and incidents.
struct WorkTypes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work-types",
        abstract: "The types of activities, tasks and incidents (changes: admins).",
        subcommands: [List.self, Add.self, Rename.self, Retire.self])

    static func scope(_ text: String) throws -> ActivitiesV1.TypeScope {
        try parseEnum(text, prefix: "TYPE_SCOPE_", option: "the list", all: ActivitiesV1.TypeScope.allCases, name: \.protoName)!
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the types.")
        @Option(help: "Only one list: activity, task or incident.") var scope: String?
        @Flag(help: "Retired types too.") var all = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ActivitiesV1.ListWorkTypesRequest(scope: try scope.map(WorkTypes.scope) ?? .unspecified, activeOnly: !all)
                let answer = try await connection.withActivities { client, options in try await client.listWorkTypes(request, options: options) }
                var table = Table(header: ["id", "list", "name", "kind", "active"])
                for t in answer.workTypes.sorted(by: { ($0.scope.protoValue, $0.name) < ($1.scope.protoValue, $1.name) }) {
                    table.rows.append([String(t.id), cliName(t.scope.protoName, prefix: "TYPE_SCOPE_"), t.name,
                                       t.activityKind == .unspecified ? "" : cliName(t.activityKind.protoName, prefix: "ACTIVITY_KIND_"), t.active ? "yes" : "retired"])
                }
                try output.print(answer, table)
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a type.")
        @Argument(help: "activity, task or incident.") var scope: String
        @Argument(help: "Its name.") var name: String
        @Option(help: "For activity types: appointment, call, meeting or other.") var kind: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let kindValue = try parseEnum(kind, prefix: "ACTIVITY_KIND_", option: "--kind", all: ActivitiesV1.ActivityKind.allCases, name: \.protoName)
                let type = ActivitiesV1.WorkType(scope: try WorkTypes.scope(scope), name: name, activityKind: kindValue ?? .unspecified, active: true)
                let saved = try await connection.withActivities(changing: true) { client, options in
                    try await client.saveWorkType(ActivitiesV1.SaveWorkTypeRequest(workType: type), options: options)
                }
                try output.print(saved, oneLine("Added \(cliName(saved.scope.protoName, prefix: "TYPE_SCOPE_")) type \(saved.name) (id \(saved.id))."))
            }
        }
    }

    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a type.")
        @Argument(help: "The type's id.") var id: Int64
        @Argument(help: "The new name.") var name: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                try await WorkTypes.change(id, connection) { $0.name = name }
                print("Renamed type \(id) to \(name).")
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a type: kept on the work that has it, offered for no new work.")
        @Argument(help: "The type's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                try await WorkTypes.change(id, connection) { $0.active = false }
                print("Retired type \(id).")
            }
        }
    }

    static func change(_ id: Int64, _ connection: ConnectionOptions, _ edit: (inout ActivitiesV1.WorkType) -> Void) async throws {
        try await connection.withActivities(changing: true) { client, options in
            let all = try await client.listWorkTypes(ActivitiesV1.ListWorkTypesRequest(), options: options)
            guard var type = all.workTypes.first(where: { $0.id == id }) else { throw CLIFailure(.notFound, "no work type with id \(id)") }
            edit(&type)
            _ = try await client.saveWorkType(ActivitiesV1.SaveWorkTypeRequest(workType: type), options: options)
        }
    }
}
