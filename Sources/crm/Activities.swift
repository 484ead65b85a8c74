import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Activities: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Schedule and work appointments, calls and meetings for leads.",
        discussion: "A lead with an open activity cannot be won, lost or cancelled: complete, cancel or delete it first.",
        subcommands: [Schedule.self, List.self, Show.self, Edit.self, Complete.self, Cancel.self, Delete.self])

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schedule an activity for a lead.")

        @Argument(help: "The lead's id.") var lead: Int64
        @Option(help: "The activity type, by name (crm work-types list) or id.") var type: String
        @Option(help: "A short subject.") var subject: String
        @Option(help: ArgumentHelp("When it starts: 2026-12-02T10:00 (local time) or with a zone.", valueName: "time")) var at: String
        @Option(help: ArgumentHelp("When it ends; by default 30 minutes after the start.", valueName: "time")) var end: String?
        @Option(help: "Where.") var location = ""
        @Option(help: "Details.") var description = ""
        @Option(help: ArgumentHelp("Who does it (login or id); by default you.", valueName: "user")) var assignee: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let input = ActivitiesV1.ActivityInput(
                    leadId: lead, typeId: try names.typeID(type, scope: .activity, option: "--type"), subject: subject, description: description,
                    startAt: try CLITime.parse(at, "--at"), endAt: try CLITime.parse(end, "--end"), location: location,
                    assigneeId: try names.userID(assignee, option: "--assignee"))
                let activity = try await connection.withActivities(changing: true) { client, options in
                    try await client.scheduleActivity(ActivitiesV1.ScheduleActivityRequest(activity: input), options: options)
                }
                try output.print(activity, activityDetails(activity, names))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List activities (soonest first).")

        @Option(help: "Only for this lead.") var lead: Int64 = 0
        @Flag(help: "Only yours.") var mine = false
        @Option(help: ArgumentHelp("Only assigned to these users (logins or ids, comma-separated).", valueName: "users")) var assignee = ""
        @Option(help: "Only with these statuses: open, completed, cancelled (comma-separated).") var status = ""
        @Option(help: "Only of these kinds: appointment, call, meeting, other (comma-separated).") var kind = ""
        @Option(help: "Only of these types (names or ids, comma-separated).") var type = ""
        @Option(help: ArgumentHelp("Only starting at or after this time.", valueName: "time")) var from: String?
        @Option(help: ArgumentHelp("Only starting before this time.", valueName: "time")) var to: String?
        @Flag(help: "Only open activities past their end.") var overdue = false
        @Option(help: ArgumentHelp("Judge overdue at this time instead of now.", valueName: "time")) var asOf: String?
        @Option(help: ArgumentHelp("Sort by these fields, descending with a leading -, such as --sort=-start_at.", valueName: "fields")) var sort = ""
        @Option(help: "How many (1-500).") var limit: Int32 = 50
        @Option(help: ArgumentHelp("The page after the one that printed this token.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let filter = ActivitiesV1.ActivityFilter(
                    leadId: lead, assigneeIds: try LeadFilterOptions.list(assignee).map { try names.userID($0, option: "--assignee") },
                    statuses: try LeadFilterOptions.list(status).map { try workStatus($0, "--status") },
                    kinds: try LeadFilterOptions.list(kind).compactMap {
                        try parseEnum($0, prefix: "ACTIVITY_KIND_", option: "--kind", all: ActivitiesV1.ActivityKind.allCases, name: \.protoName)
                    },
                    typeIds: try LeadFilterOptions.list(type).map { try names.typeID($0, scope: .activity, option: "--type") },
                    start: from == nil && to == nil ? nil : RpcV1.TimeRange(fromMs: try CLITime.parse(from, "--from"), toMs: try CLITime.parse(to, "--to")),
                    overdueOnly: overdue, overdueAsOf: try CLITime.parse(asOf, "--as-of"), mine: mine)
                let request = ActivitiesV1.ListActivitiesRequest(filter: filter, sort: sortKeys(sort), pageSize: limit, pageToken: page)
                let answer = try await connection.withActivities { client, options in try await client.listActivities(request, options: options) }
                try output.print(answer, activityTable(answer.activities, names))
                if !output.json && !output.csv {
                    print("\(answer.activities.count) of \(answer.totalCount) activities" + (answer.nextPageToken.isEmpty ? "" : "; next page: --page \(answer.nextPageToken)"))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an activity and what it is linked to.")

        @Argument(help: "The activity's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let (activity, links) = try await connection.withActivities { client, options in
                    let activity = try await client.getActivity(ActivitiesV1.GetRequest(id: id), options: options)
                    let links = try await client.listLinks(ActivitiesV1.ListLinksRequest(entity: RpcV1.EntityRef(kind: .activity, id: id)), options: options)
                    return (activity, links.links)
                }
                var table = activityDetails(activity, names)
                for link in links { table.rows.append(["linked", "\(showEntity(link.a == RpcV1.EntityRef(kind: .activity, id: id) ? link.b : link.a)) (link \(link.id))"]) }
                try output.print(activity, table)
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an open activity: move it, reassign it, rename it.")

        @Argument(help: "The activity's id.") var id: Int64
        @Option(help: "The type, by name or id.") var type: String?
        @Option(help: "The subject.") var subject: String?
        @Option(help: ArgumentHelp("The new start (the end moves with it unless --end is given).", valueName: "time")) var at: String?
        @Option(help: ArgumentHelp("The new end.", valueName: "time")) var end: String?
        @Option(help: "Where.") var location: String?
        @Option(help: "Details.") var description: String?
        @Option(help: ArgumentHelp("Who does it (login or id).", valueName: "user")) var assignee: String?
        @Option(help: "The version you read (0: whatever is stored).") var version: Int64 = 0
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                var input = ActivitiesV1.ActivityInput()
                var mask: [String] = []
                if let type { input.typeId = try names.typeID(type, scope: .activity, option: "--type"); mask.append("type_id") }
                if let subject { input.subject = subject; mask.append("subject") }
                if let at { input.startAt = try CLITime.parse(at, "--at"); mask.append("start_at") }
                if let end { input.endAt = try CLITime.parse(end, "--end"); mask.append("end_at") }
                if let location { input.location = location; mask.append("location") }
                if let description { input.description = description; mask.append("description") }
                if let assignee { input.assigneeId = try names.userID(assignee, option: "--assignee"); mask.append("assignee_id") }
                guard !mask.isEmpty else { throw CLIFailure(.usage, "nothing to change: give --subject, --at, --end, --location, --description, --type or --assignee") }
                let activity = try await connection.withActivities(changing: true) { client, options in
                    try await client.updateActivity(ActivitiesV1.UpdateActivityRequest(id: id, version: version, activity: input, updateMask: mask), options: options)
                }
                try output.print(activity, activityDetails(activity, names))
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an open activity done, with what came of it.")

        @Argument(help: "The activity's id.") var id: Int64
        @Option(help: "What came of it.") var outcome = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let activity = try await connection.withActivities(changing: true) { client, options in
                    try await client.completeActivity(ActivitiesV1.CloseRequest(id: id, outcome: outcome), options: options)
                }
                try output.print(activity, oneLine("Completed activity \(id)."))
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Call off an open activity.")

        @Argument(help: "The activity's id.") var id: Int64
        @Option(help: "Why.") var reason = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let activity = try await connection.withActivities(changing: true) { client, options in
                    try await client.cancelActivity(ActivitiesV1.CloseRequest(id: id, outcome: reason), options: options)
                }
                try output.print(activity, oneLine("Cancelled activity \(id)."))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an activity and its links.")

        @Argument(help: "The activity's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withActivities(changing: true) { client, options in
                    try await client.deleteActivity(ActivitiesV1.CloseRequest(id: id), options: options)
                }
                print("Deleted activity \(id).")
            }
        }
    }
}

func workStatus(_ text: String, _ option: String) throws -> ActivitiesV1.WorkStatus {
    try parseEnum(text, prefix: "WORK_STATUS_", option: option, all: ActivitiesV1.WorkStatus.allCases, name: \.protoName)!
}

func activityTable(_ activities: [ActivitiesV1.Activity], _ names: WorkNames) -> Table {
    var table = Table(header: ["id", "lead", "type", "subject", "starts", "ends", "assignee", "status", "overdue"])
    for a in activities {
        table.rows.append([String(a.id), "\(a.leadId) \(a.leadFullName)", names.type(a.typeId), a.subject, showTime(a.startAt), showTime(a.endAt),
                           names.user(a.assigneeId), cliName(a.status.protoName, prefix: "WORK_STATUS_"), showDuration(a.timeOverdueMs)])
    }
    return table
}

func activityDetails(_ a: ActivitiesV1.Activity, _ names: WorkNames) -> Table {
    details([
        ("id", String(a.id)), ("lead", "\(a.leadId) \(a.leadFullName)"), ("company", a.leadCompany), ("e-mail", a.leadEmail), ("phone", a.leadPhone),
        ("type", "\(names.type(a.typeId)) (\(cliName(a.kind.protoName, prefix: "ACTIVITY_KIND_")))"), ("subject", a.subject),
        ("description", a.description), ("starts", showTime(a.startAt)), ("ends", showTime(a.endAt)), ("location", a.location),
        ("assignee", names.user(a.assigneeId)), ("status", cliName(a.status.protoName, prefix: "WORK_STATUS_")), ("outcome", a.outcome),
        ("overdue", showDuration(a.timeOverdueMs)), ("closed", showTime(a.closedAt)), ("created by", names.user(a.createdBy)),
        ("created", showTime(a.createdAt)), ("updated", showTime(a.updatedAt)), ("version", String(a.version)),
    ])
}
