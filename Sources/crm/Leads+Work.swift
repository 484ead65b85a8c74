import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

extension Leads {
    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign leads to a unit or a user: the ids given, or every lead a filter finds.",
            discussion: "Sales managers assign to units and channels, unit managers to agents of their unit. Each lead that cannot be assigned is listed with the reason; the others are assigned.")

        @Argument(help: "The leads' ids.") var ids: [Int64] = []
        @Option(name: .customLong("to-unit"), help: ArgumentHelp("The unit's id.", valueName: "id")) var unitID: Int64?
        @Option(name: .customLong("to-user"), help: ArgumentHelp("The user: login or id.", valueName: "user")) var user: String?
        @Option(help: "A note for each lead's history.") var note = ""
        @OptionGroup var filter: LeadFilterOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if (unitID == nil) == (user == nil) { throw ValidationError("give one of --to-unit and --to-user") }
            if ids.isEmpty && filter.isEmpty { throw ValidationError("give the leads' ids, or a filter such as --unassigned or --campaign (--all for every lead you see)") }
            if !ids.isEmpty && !filter.isEmpty { throw ValidationError("give the leads' ids or a filter, not both") }
        }

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let leadFilter = ids.isEmpty ? try await filter.filter(connection) : LeadsV1.LeadFilter()
                let (response, target) = try await connection.withLeads { rpc in
                    let client = LeadsV1.Leads.Client(rpc)
                    var userID: Int64 = 0
                    if let user { userID = try await userIDFor(user, rpc, options) }
                    var target = user ?? ""
                    if let unitID {
                        let unit = try? await LeadsV1.Directory.Client(rpc).getUnit(LeadsV1.GetUnitRequest(id: unitID), options: options)
                        target = "unit " + (unit?.name ?? String(unitID))
                    }
                    let targets = ids.isEmpty ? try await matching(leadFilter, client, options) : ids
                    // In batches, so that a long assignment shows progress and each batch commits on its own.
                    let progress = Progress(label: "Assigning")
                    var total = LeadsV1.AssignLeadsResponse()
                    for start in stride(from: 0, to: targets.count, by: 500) {
                        progress.update(start, of: targets.count, "leads")
                        let batch = Array(targets[start..<min(start + 500, targets.count)])
                        let part = try await client.assignLeads(
                            LeadsV1.AssignLeadsRequest(ids: batch, unitId: unitID ?? 0, userId: userID, note: note),
                            options: options.with(idempotencyKey: UUID().uuidString))
                        total.assignedIds += part.assignedIds
                        total.failures += part.failures
                    }
                    progress.finish()
                    return (total, target)
                }
                // A person reads a summary and the leads that could not be assigned; --csv and
                // --json have a row per lead for scripts.
                var table = Table(header: ["id", "result"])
                if output.csv { for id in response.assignedIds { table.rows.append([String(id), "assigned"]) } }
                for f in response.failures { table.rows.append([String(f.id), f.status.map { "\(CLIFailure.name(of: $0.code)): \($0.message)" } ?? "failed"]) }
                if output.json || output.csv || !table.rows.isEmpty { try output.print(response, table) }
                if !output.json && !output.csv {
                    let failures = response.failures.isEmpty ? "" : "; \(response.failures.count) could not be (listed above)"
                    print("Assigned \(response.assignedIds.count) \(response.assignedIds.count == 1 ? "lead" : "leads") to \(target)\(failures).")
                }
                if !response.failures.isEmpty && response.assignedIds.isEmpty { throw ExitCode(CLIFailure.Kind.failed.rawValue) }
            }
        }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to a lead (everyone who sees the lead sees it).")
        @Argument(help: "The lead's id.") var id: Int64
        @Argument(help: "The note.") var text: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn(changing: true)
                let note = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).addNote(LeadsV1.AddNoteRequest(leadId: id, text: text), options: options)
                }
                if output.json { try output.printJSON(note) } else { print("Added note \(note.id).") }
            }
        }
    }

    struct Notes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a lead's notes, newest first.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let notes = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).listNotes(LeadsV1.ListNotesRequest(leadId: id, pageSize: 500), options: options)
                }
                try output.print(notes, Table(header: ["when", "who", "note"], rows: notes.notes.map { [showTime($0.createdAt), $0.authorName, $0.text] }))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show who changed what on a lead, newest first.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let (history, names) = try await connection.withLeads(naming: output) { client, options in
                    try await client.listHistory(LeadsV1.ListHistoryRequest(leadId: id, pageSize: 500), options: options)
                }
                try output.print(history, {
                    var table = Table(header: ["when", "who", "action", "field", "old", "new"])
                    for e in history.entries {
                        let changes = e.changes.isEmpty ? [LeadsV1.FieldChange()] : e.changes
                        for (i, c) in changes.enumerated() {
                            let change = [ChangeText.field(c.field), ChangeText.value(c.field, c.oldValue, names), ChangeText.value(c.field, c.newValue, names)]
                            table.rows.append((i == 0 ? [showTime(e.at), names.user(e.actorId), e.action + (e.reason.isEmpty ? "" : " (\(e.reason))")] : ["", "", ""]) + change)
                        }
                    }
                    return table
                }())
            }
        }
    }
}

/// The ids of every lead `filter` finds, page by page.
func matching(_ filter: LeadsV1.LeadFilter, _ client: LeadsV1.Leads.Client, _ options: CallOptions) async throws -> [Int64] {
    var ids: [Int64] = []
    var token = ""
    repeat {
        let page = try await client.listLeads(LeadsV1.ListLeadsRequest(filter: filter, pageSize: 500, pageToken: token), options: options)
        ids += page.leads.map(\.id)
        token = page.nextPageToken
    } while !token.isEmpty
    return ids
}

/// A user given by id or login.
func userIDFor(_ text: String, _ rpc: RPCClient, _ options: CallOptions) async throws -> Int64 {
    if let id = Int64(text) { return id }
    let users = try await LeadsV1.Directory.Client(rpc).listUsers(LeadsV1.ListUsersRequest(text: text, pageSize: 50), options: options).users
    guard let user = users.first(where: { $0.login.lowercased() == text.lowercased() }) else {
        throw CLIFailure(.notFound, "there is no user with the login \"\(text)\"")
    }
    return user.id
}
