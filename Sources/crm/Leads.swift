import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Leads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, find and work leads.",
        subcommands: [List.self, Add.self, Show.self, Start.self, Win.self, Lose.self, Cancel.self, Delete.self, Note.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List leads (newest first), with the views and filters of the lead table.")

        @Flag(help: "My leads: owned by or assigned to me.") var mine = false
        @Flag(help: "My unit's leads.") var unit = false
        @Flag(help: "All leads (managers and admins).") var all = false
        @Flag(help: "Only open leads past their expected completion.") var overdue = false
        @Flag(help: "Only leads assigned to nobody.") var unassigned = false
        @Option(help: "Words that must appear in the name, company, e-mails or phones.") var text = ""
        @Option(help: "Only leads in these countries (comma-separated ISO codes).") var country = ""
        @Option(help: "Only leads in this life-cycle state: pending, in_progress, won, lost, cancelled.") var state: String?
        @Option(help: "How many leads (1-500).") var limit: Int32 = 50
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if [mine, unit, all].filter({ $0 }).count > 1 { throw ValidationError("choose one of --mine, --unit and --all") }
        }

        func run() async throws {
            try await reporting {
                var filter = LeadsV1.LeadFilter(view: mine ? .mine : unit ? .unit : all ? .all : .unspecified, text: text)
                filter.countries = country.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                filter.overdueOnly = overdue
                filter.unassignedOnly = unassigned
                if let state {
                    guard let value = LeadsV1.LifecycleState(cliName: state) else {
                        throw CLIFailure(.usage, "--state must be one of pending, in_progress, won, lost, cancelled")
                    }
                    filter.states = [value]
                }
                let options = try connection.signedIn()
                let page = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).listLeads(LeadsV1.ListLeadsRequest(filter: filter, pageSize: limit), options: options)
                }
                if connection.json {
                    print(JSONOutput.text(["leads": page.leads.map(\.json), "total_count": page.totalCount]), terminator: "")
                } else {
                    var table = Table(header: ["id", "name", "company", "state", "priority", "owner", "assigned", "expected"])
                    for l in page.leads {
                        table.rows.append([String(l.id), l.fullName, l.company, l.state.cliName, String(l.priority), String(l.ownerId),
                                           l.assignedUserId != 0 ? "user \(l.assignedUserId)" : l.assignedUnitId != 0 ? "unit \(l.assignedUnitId)" : "",
                                           showTime(l.expectedCompletionAt)])
                    }
                    print(table.text + "\(page.leads.count) of \(page.totalCount) leads")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a lead.")

        @Argument(help: "The person's full name.") var name: String
        @Option(help: "The company.") var company = ""
        @Option(name: .customLong("email"), help: "An e-mail address (repeat for more).") var emails: [String] = []
        @Option(name: .customLong("phone"), help: "A phone number with its country code (repeat for more).") var phones: [String] = []
        @Option(help: "The country, as an ISO code such as ES.") var country = ""
        @Option(help: "The campaign.") var campaign = ""
        @Option(help: "The lead type's id (default: the definition's).") var type: Int64 = 0
        @Flag(help: "Add it even when a lead has the same e-mail or phone.") var allowDuplicate = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn(changing: true)
                let lead = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).createLead(LeadsV1.CreateLeadRequest(
                        lead: LeadsV1.LeadInput(fullName: name, company: company, emails: emails, phones: phones, country: country, campaign: campaign, typeId: type),
                        allowDuplicate: allowDuplicate), options: options)
                }
                show(lead, connection)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a lead.")

        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let lead = try await connection.withLeads { rpc in try await LeadsV1.Leads.Client(rpc).getLead(LeadsV1.GetLeadRequest(id: id), options: options) }
                show(lead, connection)
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start working a PENDING lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection) { client, lead, options in
                try await client.startProgress(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: options)
            }
        }
    }

    struct Win: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a lead in progress as won (it is converted when the lead definition says so).")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection) { client, lead, options in
                try await client.winLead(LeadsV1.WinLeadRequest(id: id, version: lead.version), options: options)
            }
        }
    }

    struct Lose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an open lead as lost, with a lost reason's id.")
        @Argument(help: "The lead's id.") var id: Int64
        @Option(help: "The lost reason's id (see the configuration).") var reason: Int64
        @Option(help: "A note for the history.") var note = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection) { client, lead, options in
                try await client.loseLead(LeadsV1.LoseLeadRequest(id: id, version: lead.version, lostReasonId: reason, note: note), options: options)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an open lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @Option(help: "Why.") var reason: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection) { client, lead, options in
                try await client.cancelLead(LeadsV1.LeadActionRequest(id: id, version: lead.version, reason: reason), options: options)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a PENDING lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                try await connection.withLeads { rpc in
                    let client = LeadsV1.Leads.Client(rpc)
                    let lead = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
                    _ = try await client.deleteLead(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: options.with(idempotencyKey: UUID().uuidString))
                }
                print("Deleted lead \(id).")
            }
        }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to a lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @Argument(help: "The note.") var text: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn(changing: true)
                let note = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).addNote(LeadsV1.AddNoteRequest(leadId: id, text: text), options: options)
                }
                print(connection.json ? JSONOutput.text(["id": note.id, "lead_id": note.leadId, "text": note.text, "created_at": note.createdAt]) : "Added note \(note.id).\n",
                      terminator: "")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show who changed what on a lead, newest first.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let history = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).listHistory(LeadsV1.ListHistoryRequest(leadId: id, pageSize: 500), options: options)
                }
                if connection.json {
                    print(JSONOutput.text(history.entries.map { e in
                        ["action": e.action, "actor_id": e.actorId, "at": e.at, "version": e.version, "reason": e.reason,
                         "changes": e.changes.map { ["field": $0.field, "old": $0.oldValue, "new": $0.newValue] }] as [String: Any]
                    }), terminator: "")
                    return
                }
                var table = Table(header: ["when", "who", "action", "field", "old", "new"])
                for e in history.entries {
                    let changes = e.changes.isEmpty ? [RpcV1FieldChangeless()] : e.changes.map { RpcV1FieldChangeless(field: $0.field, old: $0.oldValue, new: $0.newValue) }
                    for (i, c) in changes.enumerated() {
                        table.rows.append(i == 0 ? [showTime(e.at), "user \(e.actorId)", e.action + (e.reason.isEmpty ? "" : " (\(e.reason))"), c.field, c.old, c.new]
                                                 : ["", "", "", c.field, c.old, c.new])
                    }
                }
                print(table.text, terminator: "")
            }
        }
    }
}

/// One row of a history table.
private struct RpcV1FieldChangeless {
    var field = "", old = "", new = ""
}

/// Reads the lead (for its version), applies a life-cycle action, and shows the result.
private func act(_ id: Int64, _ connection: ConnectionOptions,
                 _ action: @escaping (LeadsV1.Leads.Client, LeadsV1.Lead, CallOptions) async throws -> LeadsV1.Lead) async throws {
    try await reportingFailures {
        let options = try connection.signedIn()
        let lead = try await connection.withLeads { rpc in
            let client = LeadsV1.Leads.Client(rpc)
            let current = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
            return try await action(client, current, options.with(idempotencyKey: UUID().uuidString))
        }
        show(lead, connection)
    }
}

private func show(_ lead: LeadsV1.Lead, _ connection: ConnectionOptions) {
    if connection.json {
        print(JSONOutput.text(lead.json), terminator: "")
        return
    }
    var lines: [(String, String)] = [
        ("id", String(lead.id)), ("name", lead.fullName), ("company", lead.company), ("e-mails", lead.emails.joined(separator: ", ")),
        ("phones", lead.phones.joined(separator: ", ")), ("country", lead.country), ("state", lead.state.cliName), ("status", String(lead.statusId)),
        ("priority", String(lead.priority)), ("importance", String(lead.importance)), ("owner", String(lead.ownerId)),
        ("expected", showTime(lead.expectedCompletionAt)), ("version", String(lead.version)),
    ]
    if let c = lead.conversion { lines.append(("converted", "account \(c.accountId), contact \(c.contactId)" + (c.opportunityId != 0 ? ", opportunity \(c.opportunityId)" : ""))) }
    let width = lines.map(\.0.count).max() ?? 0
    print(lines.filter { !$0.1.isEmpty }.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }.joined(separator: "\n"))
}

extension LeadsV1.Lead {
    /// The lead for scripts, with the Lead message's field names.
    var json: [String: Any] {
        var out: [String: Any] = [
            "id": id, "full_name": fullName, "company": company, "emails": emails, "phones": phones, "country": country,
            "campaign": campaign, "type_id": typeId, "status_id": statusId, "state": state.cliName, "priority": priority,
            "importance": importance, "owner_id": ownerId, "assigned_unit_id": assignedUnitId, "assigned_user_id": assignedUserId,
            "expected_completion_at": expectedCompletionAt, "version": version, "created_at": createdAt, "updated_at": updatedAt,
        ]
        if let c = conversion { out["conversion"] = ["account_id": c.accountId, "contact_id": c.contactId, "opportunity_id": c.opportunityId] }
        return out
    }
}

extension LeadsV1.LifecycleState {
    var cliName: String {
        switch self {
        case .pending: "pending"
        case .inProgress: "in_progress"
        case .won: "won"
        case .lost: "lost"
        case .cancelled: "cancelled"
        case .unspecified, .unrecognized: "unknown"
        }
    }

    init?(cliName: String) {
        guard let match = [LeadsV1.LifecycleState.pending, .inProgress, .won, .lost, .cancelled].first(where: { $0.cliName == cliName }) else { return nil }
        self = match
    }
}
