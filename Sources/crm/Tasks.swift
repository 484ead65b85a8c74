import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Tasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tasks: work with an assignee and a due date, for a lead or not.",
        discussion: "A lead with an open task cannot be won, lost or cancelled.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Complete.self, Cancel.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a task.")

        @Argument(help: "The title.") var title: String
        @Option(help: "The lead it belongs to.") var lead: Int64 = 0
        @Option(help: ArgumentHelp("When it is due (local time unless a zone is given).", valueName: "time")) var due: String?
        @Option(help: ArgumentHelp("Who does it (login or id); by default you.", valueName: "user")) var assignee: String?
        @Option(help: "The task type, by name or id.") var type: String?
        @Option(help: "Details.") var description = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let input = ActivitiesV1.TaskInput(
                    title: title, description: description, typeId: try names.typeID(type, scope: .task, option: "--type"),
                    assigneeId: try names.userID(assignee, option: "--assignee"), dueAt: try CLITime.parse(due, "--due"), leadId: lead)
                let task = try await connection.withActivities(changing: true) { client, options in
                    try await client.createTask(ActivitiesV1.CreateTaskRequest(task: input), options: options)
                }
                try output.print(task, taskDetails(task, names))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tasks (soonest due first).")

        @Option(help: "Only for this lead.") var lead: Int64 = 0
        @Flag(help: "Only yours.") var mine = false
        @Option(help: ArgumentHelp("Only assigned to these users (logins or ids, comma-separated).", valueName: "users")) var assignee = ""
        @Option(help: "Only with these statuses: open, completed, cancelled.") var status = ""
        @Option(help: "Only of these types (names or ids).") var type = ""
        @Option(help: ArgumentHelp("Only due at or after this time.", valueName: "time")) var from: String?
        @Option(help: ArgumentHelp("Only due before this time.", valueName: "time")) var to: String?
        @Flag(help: "Only open tasks past their due date.") var overdue = false
        @Option(help: ArgumentHelp("Judge overdue at this time instead of now.", valueName: "time")) var asOf: String?
        @Option(help: "Only tasks linked to this incident.") var incident: Int64 = 0
        @Option(help: ArgumentHelp("Sort by these fields, descending with a leading -.", valueName: "fields")) var sort = ""
        @Option(help: "How many (1-500).") var limit: Int32 = 50
        @Option(help: ArgumentHelp("The page after the one that printed this token.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let filter = ActivitiesV1.TaskFilter(
                    leadId: lead, assigneeIds: try LeadFilterOptions.list(assignee).map { try names.userID($0, option: "--assignee") },
                    statuses: try LeadFilterOptions.list(status).map { try workStatus($0, "--status") },
                    typeIds: try LeadFilterOptions.list(type).map { try names.typeID($0, scope: .task, option: "--type") },
                    due: from == nil && to == nil ? nil : RpcV1.TimeRange(fromMs: try CLITime.parse(from, "--from"), toMs: try CLITime.parse(to, "--to")),
                    overdueOnly: overdue, overdueAsOf: try CLITime.parse(asOf, "--as-of"), incidentId: incident, mine: mine)
                let request = ActivitiesV1.ListTasksRequest(filter: filter, sort: sortKeys(sort), pageSize: limit, pageToken: page)
                let answer = try await connection.withActivities { client, options in try await client.listTasks(request, options: options) }
                try output.print(answer, taskTable(answer.tasks, names))
                if !output.json && !output.csv {
                    print("\(answer.tasks.count) of \(answer.totalCount) tasks" + (answer.nextPageToken.isEmpty ? "" : "; next page: --page \(answer.nextPageToken)"))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task.")

        @Argument(help: "The task's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let task = try await connection.withActivities { client, options in try await client.getTask(ActivitiesV1.GetRequest(id: id), options: options) }
                try output.print(task, taskDetails(task, names))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an open task.")

        @Argument(help: "The task's id.") var id: Int64
        @Option(help: "The title.") var title: String?
        @Option(help: ArgumentHelp("When it is due.", valueName: "time")) var due: String?
        @Option(help: ArgumentHelp("Who does it (login or id).", valueName: "user")) var assignee: String?
        @Option(help: "The type, by name or id.") var type: String?
        @Option(help: "The lead it belongs to (0 for none).") var lead: Int64?
        @Option(help: "Details.") var description: String?
        @Option(help: "The version you read (0: whatever is stored).") var version: Int64 = 0
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                var input = ActivitiesV1.TaskInput()
                var mask: [String] = []
                if let title { input.title = title; mask.append("title") }
                if let due { input.dueAt = try CLITime.parse(due, "--due"); mask.append("due_at") }
                if let assignee { input.assigneeId = try names.userID(assignee, option: "--assignee"); mask.append("assignee_id") }
                if let type { input.typeId = try names.typeID(type, scope: .task, option: "--type"); mask.append("type_id") }
                if let lead { input.leadId = lead; mask.append("lead_id") }
                if let description { input.description = description; mask.append("description") }
                guard !mask.isEmpty else { throw CLIFailure(.usage, "nothing to change: give --title, --due, --assignee, --type, --lead or --description") }
                let task = try await connection.withActivities(changing: true) { client, options in
                    try await client.updateTask(ActivitiesV1.UpdateTaskRequest(id: id, version: version, task: input, updateMask: mask), options: options)
                }
                try output.print(task, taskDetails(task, names))
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an open task done.")
        @Argument(help: "The task's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let task = try await connection.withActivities(changing: true) { client, options in
                    try await client.completeTask(ActivitiesV1.CloseRequest(id: id), options: options)
                }
                try output.print(task, oneLine("Completed task \(id)."))
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Call off an open task.")
        @Argument(help: "The task's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let task = try await connection.withActivities(changing: true) { client, options in
                    try await client.cancelTask(ActivitiesV1.CloseRequest(id: id), options: options)
                }
                try output.print(task, oneLine("Cancelled task \(id)."))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a task and its links.")
        @Argument(help: "The task's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withActivities(changing: true) { client, options in
                    try await client.deleteTask(ActivitiesV1.CloseRequest(id: id), options: options)
                }
                print("Deleted task \(id).")
            }
        }
    }
}

func taskTable(_ tasks: [ActivitiesV1.Task], _ names: WorkNames) -> Table {
    var table = Table(header: ["id", "title", "lead", "type", "due", "assignee", "status", "overdue"])
    for t in tasks {
        table.rows.append([String(t.id), t.title, t.leadId == 0 ? "" : String(t.leadId), names.type(t.typeId), showTime(t.dueAt),
                           names.user(t.assigneeId), cliName(t.status.protoName, prefix: "WORK_STATUS_"), showDuration(t.timeOverdueMs)])
    }
    return table
}

func taskDetails(_ t: ActivitiesV1.Task, _ names: WorkNames) -> Table {
    details([
        ("id", String(t.id)), ("title", t.title), ("description", t.description), ("lead", t.leadId == 0 ? "" : String(t.leadId)),
        ("type", names.type(t.typeId)), ("due", showTime(t.dueAt)), ("assignee", names.user(t.assigneeId)),
        ("status", cliName(t.status.protoName, prefix: "WORK_STATUS_")), ("overdue", showDuration(t.timeOverdueMs)),
        ("closed", showTime(t.closedAt)), ("created by", names.user(t.createdBy)), ("created", showTime(t.createdAt)), ("version", String(t.version)),
    ])
}
