import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Incidents: problems to resolve, with a priority, a status and attached files.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Delete.self, Attach.self, Download.self, Detach.self])

    static let priorities = "high, medium, low"

    static func priority(_ text: String?) throws -> ActivitiesV1.IncidentPriority? {
        try parseEnum(text, prefix: "INCIDENT_PRIORITY_", option: "--priority", all: ActivitiesV1.IncidentPriority.allCases, name: \.protoName)
    }

    static func status(_ text: String?) throws -> ActivitiesV1.IncidentStatus? {
        try parseEnum(text, prefix: "INCIDENT_STATUS_", option: "--status", all: ActivitiesV1.IncidentStatus.allCases, name: \.protoName)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Report an incident.")

        @Argument(help: "The title.") var title: String
        @Option(help: "The incident type, by name (Billing, Technical, Supply, ...) or id.") var type: String
        @Option(help: ArgumentHelp("Who handles it (login or id); by default you.", valueName: "user")) var assignee: String?
        @Option(help: "high, medium or low (default medium).") var priority: String?
        @Option(help: "new, not-started, in-progress, waiting, postponed, completed or closed (default new).") var status: String?
        @Option(help: "The lead it concerns.") var lead: Int64 = 0
        @Option(help: "A related http(s) link.") var link = ""
        @Option(help: "What happened.") var description = ""
        @Option(help: ArgumentHelp("When it started (default now).", valueName: "time")) var start: String?
        @Option(help: ArgumentHelp("When it ended.", valueName: "time")) var end: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let input = ActivitiesV1.IncidentInput(
                    title: title, assigneeId: try names.userID(assignee, option: "--assignee"),
                    typeId: try names.typeID(type, scope: .incident, option: "--type"), description: description, link: link,
                    startAt: try CLITime.parse(start, "--start"), endAt: try CLITime.parse(end, "--end"),
                    priority: try Incidents.priority(priority) ?? .unspecified, status: try Incidents.status(status) ?? .unspecified, leadId: lead)
                let incident = try await connection.withActivities(changing: true) { client, options in
                    try await client.createIncident(ActivitiesV1.CreateIncidentRequest(incident: input), options: options)
                }
                try output.print(incident, incidentDetails(incident, names))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incidents (newest first).")

        @Option(help: "Only for this lead.") var lead: Int64 = 0
        @Flag(help: "Only yours.") var mine = false
        @Option(help: ArgumentHelp("Only assigned to these users (logins or ids).", valueName: "users")) var assignee = ""
        @Option(help: "Only with these statuses (comma-separated).") var status = ""
        @Option(help: "Only with these priorities (comma-separated).") var priority = ""
        @Option(help: "Only of these types (names or ids).") var type = ""
        @Option(help: "Words that must all appear in the title or description.") var text = ""
        @Option(help: ArgumentHelp("Sort by these fields, descending with a leading -, such as --sort=priority.", valueName: "fields")) var sort = ""
        @Option(help: "How many (1-500).") var limit: Int32 = 50
        @Option(help: ArgumentHelp("The page after the one that printed this token.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let filter = ActivitiesV1.IncidentFilter(
                    leadId: lead, assigneeIds: try LeadFilterOptions.list(assignee).map { try names.userID($0, option: "--assignee") },
                    statuses: try LeadFilterOptions.list(status).compactMap { try Incidents.status($0) },
                    priorities: try LeadFilterOptions.list(priority).compactMap { try Incidents.priority($0) },
                    typeIds: try LeadFilterOptions.list(type).map { try names.typeID($0, scope: .incident, option: "--type") },
                    text: text, mine: mine)
                let request = ActivitiesV1.ListIncidentsRequest(filter: filter, sort: sortKeys(sort), pageSize: limit, pageToken: page)
                let answer = try await connection.withActivities { client, options in try await client.listIncidents(request, options: options) }
                var table = Table(header: ["id", "title", "type", "priority", "status", "assignee", "lead", "files", "started"])
                for i in answer.incidents {
                    table.rows.append([String(i.id), i.title, names.type(i.typeId), cliName(i.priority.protoName, prefix: "INCIDENT_PRIORITY_"),
                                       cliName(i.status.protoName, prefix: "INCIDENT_STATUS_"), names.user(i.assigneeId),
                                       i.leadId == 0 ? "" : String(i.leadId), String(i.attachments.count), showTime(i.startAt)])
                }
                try output.print(answer, table)
                if !output.json && !output.csv {
                    print("\(answer.incidents.count) of \(answer.totalCount) incidents" + (answer.nextPageToken.isEmpty ? "" : "; next page: --page \(answer.nextPageToken)"))
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an incident with its files.")

        @Argument(help: "The incident's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                let incident = try await connection.withActivities { client, options in try await client.getIncident(ActivitiesV1.GetRequest(id: id), options: options) }
                try output.print(incident, incidentDetails(incident, names))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an incident, its status too (closed is final).")

        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "The title.") var title: String?
        @Option(help: "The type, by name or id.") var type: String?
        @Option(help: ArgumentHelp("Who handles it (login or id).", valueName: "user")) var assignee: String?
        @Option(help: "high, medium or low.") var priority: String?
        @Option(help: "new, not-started, in-progress, waiting, postponed, completed or closed.") var status: String?
        @Option(help: "The lead (0 for none).") var lead: Int64?
        @Option(help: "A related http(s) link.") var link: String?
        @Option(help: "What happened.") var description: String?
        @Option(help: ArgumentHelp("When it started.", valueName: "time")) var start: String?
        @Option(help: ArgumentHelp("When it ended.", valueName: "time")) var end: String?
        @Option(help: "The version you read (0: whatever is stored).") var version: Int64 = 0
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let names = try await WorkNames.load(connection, try connection.signedIn())
                var input = ActivitiesV1.IncidentInput()
                var mask: [String] = []
                if let title { input.title = title; mask.append("title") }
                if let type { input.typeId = try names.typeID(type, scope: .incident, option: "--type"); mask.append("type_id") }
                if let assignee { input.assigneeId = try names.userID(assignee, option: "--assignee"); mask.append("assignee_id") }
                if let value = try Incidents.priority(priority) { input.priority = value; mask.append("priority") }
                if let value = try Incidents.status(status) { input.status = value; mask.append("status") }
                if let lead { input.leadId = lead; mask.append("lead_id") }
                if let link { input.link = link; mask.append("link") }
                if let description { input.description = description; mask.append("description") }
                if let start { input.startAt = try CLITime.parse(start, "--start"); mask.append("start_at") }
                if let end { input.endAt = try CLITime.parse(end, "--end"); mask.append("end_at") }
                guard !mask.isEmpty else { throw CLIFailure(.usage, "nothing to change: give at least one of the options (crm incidents edit --help)") }
                let incident = try await connection.withActivities(changing: true) { client, options in
                    try await client.updateIncident(ActivitiesV1.UpdateIncidentRequest(id: id, version: version, incident: input, updateMask: mask), options: options)
                }
                try output.print(incident, incidentDetails(incident, names))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an incident, its files and its links.")
        @Argument(help: "The incident's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withActivities(changing: true) { client, options in
                    try await client.deleteIncident(ActivitiesV1.DeleteIncidentRequest(id: id), options: options)
                }
                print("Deleted incident \(id).")
            }
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Attach a file (at most 3 MiB) to an incident.")

        @Argument(help: "The incident's id.") var id: Int64
        @Argument(help: "The file.") var file: String
        @Option(help: ArgumentHelp("Its media type; by default guessed from the extension.", valueName: "type")) var contentType: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let url = URL(fileURLWithPath: file)
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
                guard let size else { throw CLIFailure(.usage, "cannot read \(file)") }
                guard size <= 3 * 1024 * 1024 else { throw CLIFailure(.usage, "\(file) is \(size) bytes; at most 3 MiB (3,145,728 bytes) may be attached") }
                guard let data = FileManager.default.contents(atPath: url.path) else { throw CLIFailure(.usage, "cannot read \(file)") }
                let request = ActivitiesV1.AddAttachmentRequest(
                    incidentId: id, fileName: url.lastPathComponent, contentType: contentType ?? mediaType(of: url), content: [UInt8](data))
                let attachment = try await connection.withActivities(changing: true) { client, options in
                    try await client.addAttachment(request, options: options)
                }
                try output.print(attachment, oneLine("Attached \(attachment.fileName) (\(attachment.sizeBytes) bytes, sha256 \(attachment.sha256)) as attachment \(attachment.id)."))
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save an attachment's content to a file.")

        @Argument(help: "The attachment's id (crm incidents show lists them).") var id: Int64
        @Option(name: .shortAndLong, help: "The file to write; by default the attachment's name in this folder.") var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let content = try await connection.withActivities { client, options in
                    try await client.getAttachmentContent(ActivitiesV1.GetAttachmentContentRequest(id: id), options: options)
                }
                let path = output ?? content.attachment?.fileName ?? "attachment-\(id)"
                guard FileManager.default.createFile(atPath: path, contents: Data(content.content)) else {
                    throw CLIFailure(.failed, "cannot write \(path)")
                }
                print("Saved \(content.content.count) bytes to \(path).")
            }
        }
    }

    struct Detach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an attachment.")
        @Argument(help: "The attachment's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withActivities(changing: true) { client, options in
                    try await client.deleteAttachment(ActivitiesV1.DeleteAttachmentRequest(id: id), options: options)
                }
                print("Removed attachment \(id).")
            }
        }
    }
}

/// The media type of a file, from its extension.
func mediaType(of url: URL) -> String {
    let types = [
        "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "txt": "text/plain", "csv": "text/csv", "html": "text/html", "json": "application/json", "zip": "application/zip",
        "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    return types[url.pathExtension.lowercased()] ?? "application/octet-stream"
}

func incidentDetails(_ i: ActivitiesV1.Incident, _ names: WorkNames) -> Table {
    var table = details([
        ("id", String(i.id)), ("title", i.title), ("type", names.type(i.typeId)),
        ("priority", cliName(i.priority.protoName, prefix: "INCIDENT_PRIORITY_")), ("status", cliName(i.status.protoName, prefix: "INCIDENT_STATUS_")),
        ("assignee", names.user(i.assigneeId)), ("lead", i.leadId == 0 ? "" : String(i.leadId)), ("link", i.link), ("description", i.description),
        ("started", showTime(i.startAt)), ("ended", showTime(i.endAt)), ("reported by", names.user(i.createdBy)),
        ("created", showTime(i.createdAt)), ("version", String(i.version)),
    ])
    for a in i.attachments { table.rows.append(["file", "\(a.id): \(a.fileName) (\(a.contentType), \(a.sizeBytes) bytes)"]) }
    return table
}
