import ArgumentParser
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation

struct Leads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, find and work leads.",
        discussion: "The other leads RPCs (assignment rules, the event feed) are reachable with `crm call Leads METHOD`.",
        subcommands: [
            List.self, Add.self, Show.self, Edit.self, Accept.self, Start.self, Win.self, Lose.self, Cancel.self, Delete.self,
            Assign.self, Assignments.self, Note.self, Notes.self, History.self, Read.self, Duplicates.self, Merge.self, Convert.self,
            Import.self, Export.self,
        ])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List leads (newest first), with the views and filters of the lead table.")

        @OptionGroup var filter: LeadFilterOptions
        @Option(help: ArgumentHelp("Sort by these fields, descending with a leading -, such as --sort=-priority,full_name.", valueName: "fields")) var sort = ""
        @Option(help: "How many leads (1-500).") var limit: Int32 = 50
        @Option(help: ArgumentHelp("The page after the one that printed this token.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = LeadsV1.ListLeadsRequest(filter: try await filter.filter(connection), sort: sortKeys(sort), pageSize: limit, pageToken: page)
                let (page, names) = try await connection.withLeads(naming: output) { client, options in
                    try await client.listLeads(request, options: options)
                }
                try output.print(page, {
                    var table = Table(header: ["id", "name", "company", "state", "status", "priority", "owner", "assigned", "expected"])
                    for l in page.leads {
                        table.rows.append([String(l.id), l.fullName, l.company, l.state.cliName, names.status(l.statusId), String(l.priority),
                                           names.user(l.ownerId), assignee(l, names), showTime(l.expectedCompletionAt)])
                    }
                    return table
                }())
                if !output.json && !output.csv {
                    print("\(page.leads.count) of \(page.totalCount) leads" + (page.nextPageToken.isEmpty ? "" : "; next page: --page \(page.nextPageToken)"))
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a lead.")

        @Argument(help: "The person's full name.") var name: String
        @OptionGroup var fields: LeadFieldOptions
        @Flag(help: "Add it even when a lead has the same e-mail or phone.") var allowDuplicate = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                var input = try fields.input
                input.fullName = name
                let lead: LeadsV1.Lead, names: Names
                do {
                    (lead, names) = try await connection.withLeads(naming: output, changing: true) { client, options in
                        try await client.createLead(LeadsV1.CreateLeadRequest(lead: input, allowDuplicate: allowDuplicate), options: options)
                    }
                } catch let error as RPCError where error.code == .alreadyExists {
                    // The flag a person types, and the lead it would duplicate when they may see it.
                    let which = error.existing.first.map { "lead \($0.id) has the same \($0.field.split(separator: ".").last.map { String($0.dropLast()) } ?? "value") \($0.value)" }
                        ?? "a lead you may not see has the same e-mail or phone"
                    throw CLIFailure(.refused, "already exists: \(which); add --allow-duplicate to create it anyway")
                }
                try output.print(lead, leadDetails(lead, names))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a lead.")

        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let (lead, names) = try await connection.withLeads(naming: output) { client, options in
                    try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
                }
                var table = leadDetails(lead, names)
                if !output.json { table.rows += await openWorkRows(lead.id) + (await messageRows(lead.id)) }
                try output.print(lead, table)
            }
        }

        /// The lead's last messages, from crm-comms (nothing when it does not answer).
        private func messageRows(_ id: Int64) async -> [[String]] {
            guard let page = try? await connection.withComms({ client, options in
                try await client.listMessages(CommsV1.ListMessagesRequest(leadId: id, pageSize: 3), options: options)
            }) else { return [] }
            return page.messages.map { ["message", "\(showTime($0.createdAt)) \($0.subject) (\(Messages.status($0.status)))"] }
        }

        /// The lead's open activities and tasks, from crm-activities; a line saying so when it
        /// does not answer (the lead itself is still shown).
        private func openWorkRows(_ id: Int64) async -> [[String]] {
            do {
                let open = try await connection.withActivities { client, options in
                    try await client.getOpenWork(ActivitiesV1.GetOpenWorkRequest(leadId: id), options: options)
                }
                return open.descriptions.isEmpty ? [["open work", "none"]] : open.descriptions.map { ["open work", $0] }
            } catch {
                return [["open work", "unknown: crm-activities is not answering"]]
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a lead's fields: only the options given change.",
            discussion: "--email and --phone replace the lists; --status moves within the life-cycle state by the type's transitions.")

        @Argument(help: "The lead's id.") var id: Int64
        @Option(help: "The person's full name.") var name: String?
        @OptionGroup var fields: LeadFieldOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                var input = try fields.input
                var mask = fields.given
                if let name {
                    input.fullName = name
                    mask.insert("full_name", at: 0)
                }
                guard !mask.isEmpty else { throw CLIFailure(.usage, "give at least one field to change, such as --company or --status (see --help)") }
                let (lead, names) = try await connection.withLeads(naming: output) { client, options in
                    let current = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
                    return try await client.updateLead(LeadsV1.UpdateLeadRequest(id: id, version: current.version, lead: input, updateMask: mask),
                                                       options: options.with(idempotencyKey: UUID().uuidString))
                }
                try output.print(lead, leadDetails(lead, names))
            }
        }
    }
}

/// The lead's fields as options, for `add` and `edit`.
struct LeadFieldOptions: ParsableArguments {
    @Option(help: "The company.") var company: String?
    @Option(name: .customLong("email"), help: "An e-mail address (repeat for more).") var emails: [String] = []
    @Option(name: .customLong("phone"), help: "A phone number with its country code (repeat for more).") var phones: [String] = []
    @Option(help: "The country, as an ISO code such as ES.") var country: String?
    @Option(help: "The region.") var region: String?
    @Option(help: "The campaign.") var campaign: String?
    @Option(help: "The channel.") var channel: String?
    @Option(help: "Where the lead came from.") var source: String?
    @Option(help: "The lead type's id (default: the definition's).") var type: Int64?
    @Option(help: "The category's id.") var category: Int64?
    @Option(help: "The status's id.") var status: Int64?
    @Option(help: "The priority, 1-10.") var priority: Int32?
    @Option(help: "The importance, 1-8.") var importance: Int32?
    @Option(help: "The probability to win, 0-100.") var probability: Int32?
    @Option(help: ArgumentHelp("The target amount with its currency, such as \"1200.50 EUR\".", valueName: "amount")) var amount: String?
    @Option(help: ArgumentHelp("When the lead is expected to complete (ISO 8601).", valueName: "time")) var expected: String?
    @Option(help: ArgumentHelp("When to contact the lead next (ISO 8601).", valueName: "time")) var contactOn: String?
    @Option(name: .customLong("field"), help: ArgumentHelp("A custom field, KEY=VALUE (repeat for more).", valueName: "key=value")) var customFields: [String] = []

    /// The LeadInput fields the options give, in the order of the message.
    var given: [String] {
        var names: [String] = []
        func add(_ name: String, _ present: Bool) { if present { names.append(name) } }
        add("company", company != nil); add("emails", !emails.isEmpty); add("phones", !phones.isEmpty); add("country", country != nil)
        add("region", region != nil); add("campaign", campaign != nil); add("channel", channel != nil); add("source", source != nil)
        add("type_id", type != nil); add("category_id", category != nil); add("status_id", status != nil); add("priority", priority != nil)
        add("importance", importance != nil); add("probability", probability != nil); add("target_amount", amount != nil)
        add("contact_on", contactOn != nil); add("expected_completion_at", expected != nil); add("custom_fields", !customFields.isEmpty)
        return names
    }

    var input: LeadsV1.LeadInput {
        get throws {
            var l = LeadsV1.LeadInput(company: company ?? "", emails: emails, phones: phones, country: country ?? "", region: region ?? "",
                                      campaign: campaign ?? "", channel: channel ?? "", source: source ?? "", typeId: type ?? 0,
                                      categoryId: category ?? 0, statusId: status ?? 0, priority: priority ?? 0, importance: importance ?? 0,
                                      probability: probability ?? 0)
            if let amount { l.targetAmount = try Self.money(amount) }
            l.contactOn = try LeadFilterOptions.time(contactOn, "--contact-on")
            l.expectedCompletionAt = try LeadFilterOptions.time(expected, "--expected")
            l.customFields = try customFields.map { pair in
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw CLIFailure(.usage, "--field must be KEY=VALUE (got \"\(pair)\")") }
                // Sent as text: the service converts it to the field's declared type and says when it does not fit.
                return LeadsV1.CustomFieldValue(key: String(pair[..<eq]), value: .text(String(pair[pair.index(after: eq)...])))
            }
            return l
        }
    }

    /// "1200.50 EUR" (or "1200,50 EUR") as minor units and a currency. Anything else is refused:
    /// never a guess ("1.200,50" could be either).
    static func money(_ text: String) throws -> RpcV1.Money {
        let refusal = CLIFailure(.usage, "--amount must be an amount with at most two decimals and an ISO currency, such as \"1200.50 EUR\" or \"1200,50 EUR\", without thousands separators (got \"\(text)\")")
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[1].count == 3, parts[1].allSatisfy({ $0.isASCII && $0.isLetter }) else { throw refusal }
        let number = parts[0]
        let separators = number.filter { $0 == "." || $0 == "," }
        guard separators.count <= 1 else { throw refusal }
        let pieces = number.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "," })
        let whole = pieces[0], fraction = pieces.count > 1 ? pieces[1] : ""
        let digits: (Substring) -> Bool = { $0.allSatisfy { ("0"..."9").contains($0) } }
        guard !whole.isEmpty, whole.count <= 15, digits(whole), fraction.count <= 2, digits(fraction), pieces.count == 1 || !fraction.isEmpty,
              let units = Int64(whole) else { throw refusal }
        let cents = Int64(fraction.padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0
        return RpcV1.Money(amountMinor: units * 100 + cents, currency: parts[1].uppercased())
    }
}

/// Who a lead is assigned to, for a table cell: the user's login, else the unit's name.
func assignee(_ l: LeadsV1.Lead, _ names: Names) -> String {
    l.assignedUserId != 0 ? names.user(l.assignedUserId) : names.unit(l.assignedUnitId)
}

/// One lead, field by field, with names for its type, status and catalog entries.
func leadDetails(_ lead: LeadsV1.Lead, _ names: Names) -> Table {
    var pairs: [(String, String)] = [
        ("id", String(lead.id)), ("name", lead.fullName), ("company", lead.company), ("e-mails", lead.emails.joined(separator: ", ")),
        ("phones", lead.phones.joined(separator: ", ")), ("country", lead.country), ("region", lead.region), ("campaign", lead.campaign),
        ("channel", lead.channel), ("source", lead.source), ("type", names.type(lead.typeId)), ("category", names.catalog(lead.categoryId)),
        ("state", lead.state.cliName), ("status", names.status(lead.statusId)),
        ("priority", lead.priority == 0 ? "" : String(lead.priority)), ("importance", lead.importance == 0 ? "" : String(lead.importance)),
        ("probability", lead.probability == 0 ? "" : "\(lead.probability)%"),
        ("amount", lead.targetAmount.map(Reports.money) ?? ""),
        ("owner", names.user(lead.ownerId)), ("assigned", assignee(lead, names)),
        ("contact on", showTime(lead.contactOn)), ("started", showTime(lead.startedAt)), ("expected", showTime(lead.expectedCompletionAt)),
        ("completed", showTime(lead.completedAt)), ("lost reason", names.catalog(lead.lostReasonId)),
    ]
    if lead.timeOverdueMs > 0 { pairs.append(("overdue by", "\(lead.timeOverdueMs / 3_600_000) h")) }
    for field in lead.customFields { pairs.append((field.key, field.value.map(customText) ?? "")) }
    if let c = lead.conversion {
        pairs.append(("converted", [c.accountId != 0 ? "account \(c.accountId)" : "", c.contactId != 0 ? "contact \(c.contactId)" : "",
                                    c.opportunityId != 0 ? "opportunity \(c.opportunityId)" : ""].filter { !$0.isEmpty }.joined(separator: ", ")))
    }
    if lead.mergedIntoId != 0 { pairs.append(("merged into", String(lead.mergedIntoId))) }
    pairs += [("created", showTime(lead.createdAt)), ("updated", showTime(lead.updatedAt)), ("version", String(lead.version))]
    return details(pairs)
}

private func customText(_ value: LeadsV1.CustomFieldValue.Value) -> String {
    switch value {
    case .text(let s), .decimal(let s): s
    case .integer(let n): String(n)
    case .boolean(let b): b ? "yes" : "no"
    case .date(let d): Timestamp.formatDate(d)  // a day, stored as midnight UTC
    }
}

/// "-priority,full_name" as sort keys.
func sortKeys(_ text: String) -> [RpcV1.SortKey] {
    LeadFilterOptions.list(text).map { $0.hasPrefix("-") ? RpcV1.SortKey(field: String($0.dropFirst()), descending: true) : RpcV1.SortKey(field: $0) }
}
