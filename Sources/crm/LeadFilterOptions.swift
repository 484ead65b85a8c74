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
    @Option(help: ArgumentHelp("Lead type ids (comma-separated).", valueName: "ids")) var type = ""
    @Option(help: ArgumentHelp("Status ids (comma-separated).", valueName: "ids")) var status = ""
    @Option(help: ArgumentHelp("Owners' user ids (comma-separated).", valueName: "ids")) var owner = ""
    @Option(name: .customLong("assigned-to"), help: ArgumentHelp("Assigned users' ids (comma-separated).", valueName: "ids")) var assignedTo = ""
    @Option(name: .customLong("assigned-unit"), help: ArgumentHelp("Assigned units' ids (comma-separated).", valueName: "ids")) var assignedUnit = ""
    @Option(help: ArgumentHelp("Created on or after this time (ISO 8601, such as 2026-01-31).", valueName: "time")) var createdAfter: String?
    @Option(help: ArgumentHelp("Created before this time (ISO 8601).", valueName: "time")) var createdBefore: String?
    @Option(help: ArgumentHelp("At least this priority (1-10).", valueName: "n")) var minPriority: Int32 = 0
    @Option(name: .customLong("field"), help: ArgumentHelp("A custom field's value, KEY=VALUE (repeat for more).", valueName: "key=value")) var fields: [String] = []

    func validate() throws {
        if [mine, unit, all, view != nil].filter({ $0 }).count > 1 { throw ValidationError("choose one of --mine, --unit, --all and --view") }
    }

    /// True when no option narrows the list (so `assign` may not touch every lead by accident).
    var isEmpty: Bool { (try? filter) == LeadsV1.LeadFilter() }

    var filter: LeadsV1.LeadFilter {
        get throws {
            var f = LeadsV1.LeadFilter(view: mine ? .mine : unit ? .unit : all ? .all : .unspecified, text: text)
            if let view { f.view = try LeadsV1.LeadView(cliName: view, option: "--view") }
            f.countries = Self.list(country)
            f.regions = Self.list(region)
            f.campaigns = Self.list(campaign)
            f.channels = Self.list(channel)
            f.states = try Self.list(state).map { try LeadsV1.LifecycleState(cliName: $0, option: "--state") }
            f.typeIds = try Self.ids(type, "--type")
            f.statusIds = try Self.ids(status, "--status")
            f.ownerIds = try Self.ids(owner, "--owner")
            f.assignedUserIds = try Self.ids(assignedTo, "--assigned-to")
            f.assignedUnitIds = try Self.ids(assignedUnit, "--assigned-unit")
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
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
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
