import ArgumentParser
import CRMDomain
import CRMWire

/// The views and filters of the lead table, shared by `list`, `export` and `assign`.
struct LeadFilterOptions: ParsableArguments {
    @Flag(help: "My leads: owned by or assigned to me.") var mine = false
    @Flag(help: "My unit's leads.") var unit = false
    @Flag(help: "All leads (managers and admins).") var all = false
    @Option(help: ArgumentHelp("A saved view of the lead table: \(LeadsV1.LeadView.cliNames.joined(separator: ", ")).", valueName: "view")) var view: String?
    @Flag(help: "Only open leads past their expected completion.") var overdue = false
    @Option(help: ArgumentHelp("Judge --overdue at this time instead of now, such as next Monday (local time unless a zone is given).", valueName: "time")) var asOf: String?
    @Flag(help: "Only leads assigned to nobody.") var unassigned = false
    @Flag(help: "Only imported leads.") var imported = false
    @Option(help: ArgumentHelp("Words that must appear in the name, company, e-mails or phones.", valueName: "words")) var text = ""
    @Option(help: ArgumentHelp("Countries, as ISO codes (comma-separated).", valueName: "codes")) var country = ""
    @Option(help: ArgumentHelp("Regions (comma-separated).", valueName: "names")) var region = ""
    @Option(help: ArgumentHelp("Campaigns (comma-separated).", valueName: "names")) var campaign = ""
    @Option(help: ArgumentHelp("Channels (comma-separated).", valueName: "names")) var channel = ""
    @Option(help: ArgumentHelp("Life-cycle states (comma-separated): \(LeadsV1.LifecycleState.cliNames.joined(separator: ", ")).", valueName: "states")) var state = ""
    @Option(help: ArgumentHelp("Lead types, by name or id (comma-separated).", valueName: "types")) var type = ""
    @Option(help: ArgumentHelp("Statuses, by name or id (comma-separated), such as New,Contacted.", valueName: "statuses")) var status = ""
    @Option(help: ArgumentHelp("Owners, by login or id (comma-separated).", valueName: "users")) var owner = ""
    @Option(name: .customLong("assigned-to"), help: ArgumentHelp("Assigned users, by login or id (comma-separated).", valueName: "users")) var assignedTo = ""
    @Option(name: .customLong("assigned-unit"), help: ArgumentHelp("Assigned units, by name or id (comma-separated).", valueName: "units")) var assignedUnit = ""
    @Option(help: ArgumentHelp("Created on or after this time (ISO 8601, such as 2026-01-31).", valueName: "time")) var createdAfter: String?
    @Option(help: ArgumentHelp("Created before this time (ISO 8601).", valueName: "time")) var createdBefore: String?
    @Option(help: ArgumentHelp("At least this priority (1-10).", valueName: "n")) var minPriority: Int32 = 0
    @Option(name: .customLong("field"), help: ArgumentHelp("A custom field's value, KEY=VALUE (repeat for more).", valueName: "key=value")) var fields: [String] = []

    func validate() throws {
        if [mine, unit, all, view != nil].filter({ $0 }).count > 1 { throw ValidationError("choose one of --mine, --unit, --all and --view") }
    }

    /// True when no option narrows the list (so `assign` may not touch every lead by accident).
    var isEmpty: Bool { (try? filter(names: Names())) == LeadsV1.LeadFilter() && !hasNames }

    /// Whether a list option names something rather than giving its id.
    private var hasNames: Bool {
        [type, status, owner, assignedTo, assignedUnit].contains { Self.list($0).contains { Int64($0) == nil } }
    }

    /// The filter, the names it gives (`--owner juan`, `--status New`) read as ids from crm-leads.
    func filter(_ connection: ConnectionOptions) async throws -> LeadsV1.LeadFilter {
        guard hasNames else { return try filter(names: Names()) }
        let options = try connection.signedIn()
        let names = try await connection.withLeads { rpc in try await Names.load(rpc, options) }
        return try filter(names: names)
    }

    /// The filter with names looked up in `names` (a name it lacks is a usage error naming the option).
    func filter(names: Names) throws -> LeadsV1.LeadFilter {
        var f = LeadsV1.LeadFilter(view: mine ? .mine : unit ? .unit : all ? .all : .unspecified, text: text)
        if let view { f.view = try LeadsV1.LeadView(cliName: view, option: "--view") }
        f.countries = Self.list(country)
        f.regions = Self.list(region)
        f.campaigns = Self.list(campaign)
        f.channels = Self.list(channel)
        f.states = try Self.list(state).map { try LeadsV1.LifecycleState(cliName: $0, option: "--state") }
        f.typeIds = try Self.ids(type, "--type", names: names.types, what: "lead type")
        f.statusIds = try Self.ids(status, "--status", names: names.statuses, what: "status")
        f.ownerIds = try Self.ids(owner, "--owner", names: names.users, what: "user")
        f.assignedUserIds = try Self.ids(assignedTo, "--assigned-to", names: names.users, what: "user")
        f.assignedUnitIds = try Self.ids(assignedUnit, "--assigned-unit", names: names.units, what: "unit")
        f.overdueOnly = overdue
        f.overdueAsOf = try CLITime.parse(asOf, "--as-of")
        f.unassignedOnly = unassigned
        f.importedOnly = imported
        f.minPriority = minPriority
        if createdAfter != nil || createdBefore != nil {
            f.created = RpcV1.TimeRange(fromMs: try Self.time(createdAfter, "--created-after"), toMs: try Self.time(createdBefore, "--created-before"))
        }
        f.customFields = try fields.map { pair in
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw CLIFailure(.usage, "--field must be KEY=VALUE (got \"\(pair)\")")
            }
            return LeadsV1.CustomFieldFilter(key: String(pair[..<eq]), equals: [String(pair[pair.index(after: eq)...])])
        }
        return f
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Ids, or names found (ignoring case) among `names`.
    static func ids(_ text: String, _ option: String, names: [Int64: String], what: String) throws -> [Int64] {
        let byName = Dictionary(names.map { ($1.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        return try list(text).map { item in
            if let id = Int64(item) {
                guard id > 0 else { throw CLIFailure(.usage, "\(option) takes names or ids above 0 (got \"\(item)\")") }
                return id
            }
            guard let id = byName[item.lowercased()] else {
                let known = names.values.sorted().prefix(20).joined(separator: ", ")
                throw CLIFailure(.usage, "\(option): no \(what) is named \"\(item)\"" + (known.isEmpty ? "" : " (there are \(known))"))
            }
            return id
        }
    }

    static func ids(_ text: String, _ option: String) throws -> [Int64] {
        try list(text).map { item in
            guard let id = Int64(item), id > 0 else { throw CLIFailure(.usage, "\(option) takes ids, whole numbers above 0 (got \"\(item)\")") }
            return id
        }
    }

    /// ISO 8601 as Unix milliseconds; nil stays 0 (no bound).
    static func time(_ text: String?, _ option: String) throws -> Int64 {
        guard let text else { return 0 }
        guard let millis = Timestamp.parse(text) else {
            throw CLIFailure(.usage, "\(option) must be an ISO 8601 date or time, such as 2026-01-31 or 2026-01-31T09:00:00Z (got \"\(text)\")")
        }
        return millis
    }
}
