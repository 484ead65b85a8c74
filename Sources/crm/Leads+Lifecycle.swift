import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

extension Leads {
    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a lead assigned to your unit.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection, output) { client, lead, options in
                try await client.acceptLead(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: options)
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start working a PENDING lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection, output) { client, lead, options in
                try await client.startProgress(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: options)
            }
        }
    }

    struct Win: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a lead in progress as won.",
            discussion: "It is converted into an account and a contact when the lead definition says so. crm-leads first asks crm-activities whether the lead has open work, and refuses while it cannot ask.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection, output) { client, lead, options in
                try await client.winLead(LeadsV1.WinLeadRequest(id: id, version: lead.version), options: options)
            }
        }
    }

    struct Lose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an open lead as lost, with one of the configured lost reasons.")
        @Argument(help: "The lead's id.") var id: Int64
        @Option(help: ArgumentHelp("The lost reason: its name or id (`crm config catalog lost_reason` lists them).", valueName: "reason")) var reason: String
        @Option(help: "A note for the history.") var note = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection, output) { client, lead, options in
                let reasonID = try await catalogID(reason, kind: .lostReason, option: "--reason", client.connection, options)
                return try await client.loseLead(LeadsV1.LoseLeadRequest(id: id, version: lead.version, lostReasonId: reasonID, note: note), options: options)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an open lead.")
        @Argument(help: "The lead's id.") var id: Int64
        @Option(help: "Why.") var reason: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await act(id, connection, output) { client, lead, options in
                try await client.cancelLead(LeadsV1.LeadActionRequest(id: id, version: lead.version, reason: reason), options: options)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a PENDING lead.",
            discussion: "On a terminal it asks first; --yes deletes without asking (scripts have no terminal, and need it).")
        @Argument(help: "The lead's id.") var id: Int64
        @Flag(help: "Delete without asking.") var yes = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let deleted = try await connection.withLeads { rpc -> Bool in
                    let client = LeadsV1.Leads.Client(rpc)
                    let lead = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
                    if !yes {
                        guard isatty(STDIN_FILENO) == 1 else {
                            throw CLIFailure(.usage, "deleting lead \(id) (\(lead.fullName)) cannot be undone: add --yes to delete it without a terminal to confirm on")
                        }
                        FileHandle.standardError.write(Data("Delete lead \(id) (\(lead.fullName))? This cannot be undone. [y/N] ".utf8))
                        guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else { return false }
                    }
                    _ = try await client.deleteLead(LeadsV1.LeadActionRequest(id: id, version: lead.version), options: options.with(idempotencyKey: UUID().uuidString))
                    return true
                }
                print(deleted ? "Deleted lead \(id)." : "Nothing deleted.")
            }
        }
    }

    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a lead: an opportunity while in progress; an account and contact once won.",
            discussion: "With --show, prints the lead's conversion without changing anything.")
        @Argument(help: "The lead's id.") var id: Int64
        @Flag(help: "Also create an opportunity for a won lead.") var opportunity = false
        @Option(help: "The account's name (default: the lead's company, or name).") var accountName = ""
        @Flag(help: "Only show the lead's conversion.") var show = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn(changing: !show)
                let details = try await connection.withLeads { rpc in
                    let client = LeadsV1.Leads.Client(rpc)
                    return show
                        ? try await client.getConversion(LeadsV1.GetConversionRequest(leadId: id), options: options)
                        : try await client.convertLead(LeadsV1.ConvertLeadRequest(id: id, createOpportunity: opportunity, accountName: accountName), options: options)
                }
                try output.print(details, conversionDetails(details))
            }
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a duplicate into the lead to keep.",
            discussion: "The kept lead gains the other's e-mails, phones, empty fields, notes, history and links; the other is closed as merged.")
        @Argument(help: "The lead to keep.") var keep: Int64
        @Argument(help: "The duplicate to merge into it.") var duplicate: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let (lead, names) = try await connection.withLeads(naming: output) { client, options in
                    let kept = try await client.getLead(LeadsV1.GetLeadRequest(id: keep), options: options)
                    let merged = try await client.getLead(LeadsV1.GetLeadRequest(id: duplicate), options: options)
                    return try await client.mergeLeads(
                        LeadsV1.MergeLeadsRequest(keepId: keep, keepVersion: kept.version, mergeId: duplicate, mergeVersion: merged.version),
                        options: options.with(idempotencyKey: UUID().uuidString))
                }
                try output.print(lead, leadDetails(lead, names))
            }
        }
    }
}

/// Reads the lead (for its version), applies a life-cycle action, and shows the result.
private func act(_ id: Int64, _ connection: ConnectionOptions, _ output: OutputOptions,
                 _ action: @escaping (LeadsV1.Leads.Client, LeadsV1.Lead, CallOptions) async throws -> LeadsV1.Lead) async throws {
    try await reportingFailures {
        let (lead, names) = try await connection.withLeads(naming: output) { client, options in
            let current = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
            return try await action(client, current, options.with(idempotencyKey: UUID().uuidString))
        }
        try output.print(lead, leadDetails(lead, names))
    }
}

/// A catalog entry given by id or by name (ignoring case).
func catalogID(_ text: String, kind: LeadsV1.CatalogKind, option: String, _ rpc: RPCClient, _ options: CallOptions) async throws -> Int64 {
    if let id = Int64(text) { return id }
    let items = try await LeadsV1.LeadConfig.Client(rpc).listCatalog(LeadsV1.ListCatalogRequest(kind: kind, activeOnly: true), options: options).items
    guard let item = items.first(where: { $0.name.lowercased() == text.lowercased() }) else {
        throw CLIFailure(.usage, "\(option) must be one of \(items.map(\.name).joined(separator: ", ")) (got \"\(text)\")")
    }
    return item.id
}

private func conversionDetails(_ d: LeadsV1.ConversionDetails) -> Table {
    var pairs: [(String, String)] = []
    if let a = d.account { pairs.append(("account", "\(a.id) \(a.name)")) }
    if let c = d.contact { pairs.append(("contact", "\(c.id) \(c.fullName)")) }
    if let o = d.opportunity { pairs.append(("opportunity", "\(o.id) \(o.name)")) }
    if let c = d.conversion { pairs.append(("converted", showTime(c.convertedAt))) }
    return details(pairs)
}
