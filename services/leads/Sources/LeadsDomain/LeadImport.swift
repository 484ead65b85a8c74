import CRMDomain

/// Reading leads from CSV: which column feeds which field, and each data row
/// turned into a new lead or into errors naming its row and column. Duplicates and storage are
/// the store's part.
public struct LeadImport: Sendable {
    /// A row that was not imported, and why.
    public struct RowError: Sendable, Hashable {
        public var row: Int
        public var column: String
        public var message: String

        public init(row: Int, column: String, message: String) {
            self.row = row
            self.column = column
            self.message = message
        }
    }

    /// A row's errors, as a `Result`'s failure.
    public struct RowErrors: Error, Sendable {
        public var all: [RowError]
        init(_ all: [RowError]) { self.all = all }
    }

    /// What one data row gives.
    public enum Row: Sendable, Hashable {
        case lead(LeadRecord)
        case errors([RowError])
    }

    /// What a column feeds: a LeadInput field or a custom field.
    public enum Target: Sendable, Hashable {
        case field(String)
        case custom(String)

        public var name: String {
            switch self {
            case .field(let name): name
            case .custom(let key): "custom_fields.\(key)"
            }
        }
    }

    /// The fields a file may fill: the LeadInput fields, and where a lead stands (its status,
    /// with the state it belongs to, and when it started and ended), so that leads exported from
    /// here or from another CRM come in where they were. Teams and products are edited once the
    /// lead exists; the assignment is the rules' to make.
    public static let importable: [String] = [
        "full_name", "company", "emails", "phones", "login", "partner", "location", "country", "region", "province", "postal_code",
        "locale", "campaign", "channel", "source_type_id", "source", "type_id", "category_id", "priority", "importance",
        "probability", "target_amount", "score", "competitor_ids", "last_contacted_at", "contact_on", "expected_completion_at", "owner_id",
        "status_id", "state", "started_at", "completed_at", "lost_reason_id",
    ]

    /// Lead fields an export writes that an import cannot set: skipped when headers are matched
    /// by name, so an exported file imports again as it is.
    static let readOnly: Set<String> = [
        "id", "assigned_unit", "assigned_unit_id", "assigned_user", "assigned_user_id", "accepted_at", "imported", "merged_into_id", "account_id", "opportunity_id", "converted_at",
        "time_overdue_ms", "version", "created_by", "created_at", "updated_at",
    ]

    /// Header spellings people use for the fields (compared lower-cased, with spaces and dashes as '_').
    static let aliases: [String: String] = [
        "name": "full_name", "fullname": "full_name", "email": "emails", "e_mail": "emails", "e_mails": "emails", "phone": "phones",
        "telephone": "phones", "type": "type_id", "lead_type": "type_id", "category": "category_id", "source_type": "source_type_id",
        "owner": "owner_id", "competitors": "competitor_ids", "postcode": "postal_code", "zip": "postal_code", "amount": "target_amount",
        "status": "status_id", "lost_reason": "lost_reason_id",
    ]

    public let configuration: LeadConfiguration
    public let caller: Caller
    public let now: Int64
    /// User ids by login, to read owners given by login.
    public let userIDs: [String: Int64]
    /// Column index -> target, decided from the header and the mapping.
    public private(set) var columns: [(index: Int, header: String, target: Target)] = []
    /// The file's header.
    public let headerNames: [String]
    /// The column of the leads' ids (an export's `id`), read for matching.
    public private(set) var idColumn: Int?
    /// The type of each active custom field, by key.
    private let customTypes: [String: CustomFieldType]

    /// Decides what each column feeds: the mapping's field for the columns it names, else the
    /// field the header names (or one of its usual spellings); an unknown header is an error,
    /// so no data is dropped unseen.
    /// A file that only updates leads (`creating` false) needs no full_name column.
    public init(header: [String], mapping: [(column: String, field: String)], configuration: LeadConfiguration, caller: Caller, now: Int64,
                userIDs: [String: Int64], creating: Bool = true, into v: inout Violations) {
        self.headerNames = header
        self.configuration = configuration
        self.caller = caller
        self.now = now
        self.userIDs = userIDs
        customTypes = Dictionary(configuration.customFields.filter(\.active).map { ($0.key, $0.type) }, uniquingKeysWith: { first, _ in first })
        let customKeys = Set(customTypes.keys)
        func target(_ name: String) -> Target? {
            let n = name.trimmingSpaces.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
            if n.hasPrefix("custom_fields.") {
                let key = String(n.dropFirst("custom_fields.".count))
                return customKeys.contains(key) ? .custom(key) : nil
            }
            let field = Self.aliases[n] ?? n
            if Self.importable.contains(field) { return .field(field) }
            return customKeys.contains(n) ? .custom(n) : nil
        }
        // A mapping names the field of the columns it lists (or "" to skip one); every other
        // column is still matched by its header, so mapping one column loses none of the rest.
        var overrides: [Int: (entry: Int, field: String)] = [:]
        for (i, m) in mapping.enumerated() {
            guard let index = header.firstIndex(of: m.column) else {
                v.add("mapping[\(i)].column", "is not a column of the file's header (\(m.column))")
                continue
            }
            overrides[index] = (i, m.field)
        }
        for (i, name) in header.enumerated() {
            if let override = overrides[i] {
                if override.field.isEmpty { continue }
                guard let t = target(override.field) else {
                    v.add("mapping[\(override.entry)].field", "must be one of \(Self.importable.joined(separator: ", ")) or custom_fields.KEY of a declared field")
                    continue
                }
                columns.append((i, name, t))
            } else if let t = target(name) {
                columns.append((i, name, t))
            } else if name.trimmingSpaces.lowercased() == "id" {
                idColumn = i
            } else if !Self.readOnly.contains(name.trimmingSpaces.lowercased()) {
                v.add("csv", "column \"\(name)\" matches no lead field; map it to its field (crm leads import --map \"\(name)=FIELD\"), or to \"\" to skip it")
            }
        }
        var seen = Set<Target>()
        for column in columns where !seen.insert(column.target).inserted {
            v.add("mapping", "more than one column feeds \(column.target.name)")
        }
        if creating && !columns.contains(where: { $0.target == .field("full_name") }) { v.add("mapping", "no column feeds full_name, which every lead needs") }
    }

    /// What a data row's cells say, read but not yet checked as a lead: the fields its non-empty
    /// cells fill (on an empty lead), and the lead id of its `id` column, if any.
    public struct Cells: Sendable {
        public var values = LeadRecord()
        /// The targets' names of the non-empty cells ("emails", "custom_fields.cups").
        public var filled: Set<String> = []
        public var ownerID: Int64 = 0
        var standing = Standing()
        /// The `id` column's lead, for an import matching by id.
        public var leadID: Int64 = 0
    }

    /// Reads a data row's cells, or its errors (one per cell that is no value of its field).
    public func cells(row: Int, fields: [String], header count: Int) -> Result<Cells, RowErrors> {
        guard fields.count == count else {
            return .failure(RowErrors([RowError(row: row, column: "", message: "has \(fields.count) fields where the header has \(count)")]))
        }
        var cells = Cells()
        var errors: [RowError] = []
        if let idColumn {
            let text = fields[idColumn].trimmingSpaces
            if !text.isEmpty {
                if let id = Int64(text), id > 0 { cells.leadID = id } else { errors.append(RowError(row: row, column: headerNames[idColumn], message: "must be a lead's id")) }
            }
        }
        for column in columns {
            let text = fields[column.index].trimmingSpaces
            guard !text.isEmpty else { continue }
            func fail(_ message: String) { errors.append(RowError(row: row, column: column.header, message: message)) }
            switch column.target {
            case .custom(let key):
                let type = customTypes[key]!
                if let value = LeadRecord.CustomValue.parse(text, as: type) { cells.values.customFields[key] = value } else {
                    fail("must be a \(type.rawValue) value")
                    continue
                }
            case .field(let name):
                if !set(name, text, on: &cells.values, owner: &cells.ownerID, standing: &cells.standing, fail: fail) { continue }
            }
            cells.filled.insert(column.target.name)
        }
        return errors.isEmpty ? .success(cells) : .failure(RowErrors(errors))
    }

    /// The keys a row is matched to stored leads by, its values normalised as a stored lead's are.
    public func keys(of cells: Cells, for fields: [DuplicateRule.Field]) -> [DuplicateRule.Key] {
        var values = cells.values
        var ignored = Violations()
        LeadRules(configuration: configuration).check(&values, prefix: "lead", creating: false, into: &ignored)
        return fields.flatMap { DuplicateRule.keys(of: values, for: $0) }
    }

    /// The new lead a data row describes, ready to store, or the row's errors.
    public func lead(row: Int, fields: [String], header count: Int) -> Row {
        switch cells(row: row, fields: fields, header: count) {
        case .failure(let errors): return .errors(errors.all)
        case .success(let cells): return lead(row: row, cells)
        }
    }

    /// The new lead a row's cells describe, or the row's errors; `imported` marks where it came
    /// from (a web form's submission is not an import).
    public func lead(row: Int, _ cells: Cells, imported: Bool = true) -> Row {
        var lead = cells.values
        if cells.ownerID != 0 { lead.ownerID = cells.ownerID }
        if lead.ownerID != 0 && lead.ownerID != caller.userID && caller.role == .agent {
            return .errors([RowError(row: row, column: header(of: "owner_id"), message: "an agent imports leads for themselves")])
        }
        LeadLifecycle(configuration: configuration, now: now).prepareNew(&lead, caller: caller)
        lead.imported = imported
        let errors = place(&lead, cells.standing, row: row)
        if !errors.isEmpty { return .errors(errors) }
        return checked(lead, row: row, creating: true)
    }

    /// `existing` with the values of the cells a row fills, checked as UpdateLead checks an edit,
    /// or the row's errors. The life cycle is the actions' to move: a status, state or lost
    /// reason other than the lead's is an error, the same ones are no change.
    public func updated(_ existing: LeadRecord, row: Int, _ cells: Cells) -> Row {
        func error(_ field: String, _ message: String) -> Row { .errors([RowError(row: row, column: header(of: field), message: message)]) }
        if existing.state.isFinal { return .errors([RowError(row: row, column: "", message: "matches lead \(existing.id), which is \(existing.state.rawValue) and cannot be edited")]) }
        var lead = existing
        let v = cells.values
        for name in cells.filled {
            switch name {
            case "full_name": lead.fullName = v.fullName
            case "company": lead.company = v.company
            case "emails": lead.emails = v.emails
            case "phones": lead.phones = v.phones
            case "login": lead.login = v.login
            case "partner": lead.partner = v.partner
            case "location": lead.location = v.location
            case "country": lead.country = v.country
            case "region": lead.region = v.region
            case "province": lead.province = v.province
            case "postal_code": lead.postalCode = v.postalCode
            case "locale": lead.locale = v.locale
            case "campaign": lead.campaign = v.campaign
            case "channel": lead.channel = v.channel
            case "source": lead.source = v.source
            case "source_type_id": lead.sourceTypeID = v.sourceTypeID
            case "category_id": lead.categoryID = v.categoryID
            case "priority": lead.priority = v.priority
            case "importance": lead.importance = v.importance
            case "probability": lead.probability = v.probability
            case "score": lead.score = v.score
            case "target_amount": lead.targetAmount = v.targetAmount
            case "competitor_ids": lead.competitorIDs = v.competitorIDs
            case "last_contacted_at": lead.lastContactedAt = v.lastContactedAt
            case "contact_on": lead.contactOn = v.contactOn
            case "expected_completion_at": lead.expectedCompletionAt = v.expectedCompletionAt
            case "type_id":
                if v.typeID != existing.typeID { return error("type_id", "cannot change once the lead exists (lead \(existing.id) is of another type)") }
            case "owner_id":
                if cells.ownerID != existing.ownerID {
                    if caller.role == .agent { return error("owner_id", "only managers change a lead's owner") }
                    lead.ownerID = cells.ownerID
                }
            case "status_id":
                if cells.standing.statusID != existing.statusID { return error("status_id", "differs from lead \(existing.id)'s; a status moves by editing the lead or by its life-cycle actions") }
            case "state":
                if cells.standing.state != existing.state { return error("state", "differs from lead \(existing.id)'s (\(existing.state.rawValue)); a state moves by the life-cycle actions") }
            case "lost_reason_id":
                if cells.standing.lostReasonID != existing.lostReasonID { return error("lost_reason_id", "differs from lead \(existing.id)'s") }
            case "started_at", "completed_at": continue  // set by the life-cycle actions only
            default:
                if name.hasPrefix("custom_fields.") {
                    let key = String(name.dropFirst("custom_fields.".count))
                    lead.customFields[key] = v.customFields[key]
                }
            }
        }
        return checked(lead, row: row, creating: false)
    }

    /// `lead` normalised and checked by the lead rules, or the row's errors naming their columns.
    private func checked(_ lead: LeadRecord, row: Int, creating: Bool) -> Row {
        var lead = lead
        var v = Violations()
        LeadRules(configuration: configuration).check(&lead, prefix: "lead", creating: creating, into: &v)
        if !v.all.isEmpty {
            return .errors(v.all.map { RowError(row: row, column: header(of: Self.field(ofViolation: $0.field)), message: $0.description) })
        }
        return .lead(lead)
    }

    /// Where a row says its lead stands, as read from its columns.
    struct Standing {
        var statusID: Int64 = 0
        var state: LifecycleState?
        var startedAt: Int64 = 0
        var completedAt: Int64 = 0
        var lostReasonID: Int64 = 0
    }

    /// Puts a new lead where the row says it stands: a status of its type (the state is the
    /// status's; a `state` column must agree), started and completed when the state says so (at
    /// the file's times, else now), and a lost lead with its reason. A lead enters a closed state
    /// here without the life-cycle actions' checks of open work because a new lead has none.
    private func place(_ lead: inout LeadRecord, _ standing: Standing, row: Int) -> [RowError] {
        func error(_ field: String, _ message: String) -> [RowError] { [RowError(row: row, column: header(of: field), message: message)] }
        var state = LifecycleState.pending
        if standing.statusID != 0 {
            guard let type = configuration.type(lead.typeID), type.statusIDs.contains(standing.statusID),
                  let status = configuration.status(standing.statusID), status.active else {
                let names = configuration.type(lead.typeID).map { type in
                    type.statusIDs.compactMap { configuration.status($0) }.filter(\.active).map(\.name).joined(separator: ", ")
                } ?? ""
                return error("status_id", "must be an active status of the lead's type (\(names))")
            }
            state = status.state
            lead.statusID = status.id
            if let given = standing.state, given != state {
                return error("state", "is \(given.rawValue) but status \(status.name) is \(state.rawValue)")
            }
        } else if let given = standing.state, given != .pending {
            return error("state", "needs the status within it (a status column) for a lead that is not pending")
        }
        lead.state = state
        if state != .pending { lead.startedAt = standing.startedAt != 0 ? standing.startedAt : now }
        if state.isFinal { lead.completedAt = standing.completedAt != 0 ? standing.completedAt : now }
        if state != .pending && standing.startedAt == 0 && standing.completedAt != 0 { lead.startedAt = standing.completedAt }
        if state == .lost {
            guard standing.lostReasonID != 0 else { return error("lost_reason_id", "is required for a lost lead") }
            guard let reason = configuration.item(standing.lostReasonID, kind: .lostReason), reason.active else {
                return error("lost_reason_id", "must be one of the active lost reasons")
            }
            lead.lostReasonID = reason.id
        } else if standing.lostReasonID != 0 {
            return error("lost_reason_id", "is only for a lost lead")
        }
        if !state.isFinal && standing.completedAt != 0 { return error("completed_at", "is only for a won, lost or cancelled lead") }
        if state == .pending && standing.startedAt != 0 { return error("started_at", "is only for a lead that has started") }
        if lead.completedAt != 0 && lead.startedAt > lead.completedAt { return error("completed_at", "must not be before started_at") }
        return []
    }

    /// The header of the column feeding `field` ("" when none does).
    public func header(of field: String) -> String {
        columns.first { $0.target.name == field }?.header ?? ""
    }

    /// "lead.emails[0]" -> "emails"; "lead.custom_fields.cups" -> "custom_fields.cups".
    static func field(ofViolation path: String) -> String {
        var name = path.hasPrefix("lead.") ? String(path.dropFirst(5)) : path
        if let bracket = name.firstIndex(of: "[") { name = String(name[..<bracket]) }
        if !name.hasPrefix("custom_fields."), let dot = name.firstIndex(of: ".") { name = String(name[..<dot]) }
        return name
    }

    /// Sets one field from its text; false (after `fail`) when the text is not a value of it.
    private func set(_ name: String, _ text: String, on lead: inout LeadRecord, owner: inout Int64, standing: inout Standing, fail: (String) -> Void) -> Bool {
        let c = configuration
        func int32(_ apply: (Int32) -> Void) -> Bool {
            guard let n = Int32(text) else { fail("must be a whole number"); return false }
            apply(n)
            return true
        }
        func time(_ apply: (Int64) -> Void) -> Bool {
            guard let t = Timestamp.parse(text) else { fail("must be a date such as 2026-11-23 or a time such as 2026-11-23T09:30:00Z"); return false }
            apply(t)
            return true
        }
        /// An id, or the name of an item of the configuration.
        func reference(_ what: String, _ names: [(Int64, String)], _ apply: (Int64) -> Void) -> Bool {
            if let id = Int64(text) { apply(id); return true }
            guard let match = names.first(where: { $0.1.lowercased() == text.lowercased() }) else { fail("names no \(what) (\(text))"); return false }
            apply(match.0)
            return true
        }
        /// The items of a list field (split only for those: most fields are single values).
        var list: [String] { text.split(whereSeparator: { $0 == "," || $0 == ";" }).map { String($0).trimmingSpaces }.filter { !$0.isEmpty } }
        switch name {
        case "full_name": lead.fullName = text
        case "company": lead.company = text
        case "emails": lead.emails = list
        case "phones": lead.phones = list
        case "login": lead.login = text
        case "partner": lead.partner = text
        case "location": lead.location = text
        case "country": lead.country = text
        case "region": lead.region = text
        case "province": lead.province = text
        case "postal_code": lead.postalCode = text
        case "locale": lead.locale = text
        case "campaign": lead.campaign = text
        case "channel": lead.channel = text
        case "source": lead.source = text
        case "source_type_id": return reference("source type", c.catalog.filter { $0.kind == .sourceType }.map { ($0.id, $0.name) }) { lead.sourceTypeID = $0 }
        case "type_id": return reference("lead type", c.types.map { ($0.id, $0.name) }) { lead.typeID = $0 }
        case "category_id": return reference("category", c.catalog.filter { $0.kind == .category }.map { ($0.id, $0.name) }) { lead.categoryID = $0 }
        case "priority": return int32 { lead.priority = $0 }
        case "importance": return int32 { lead.importance = $0 }
        case "probability": return int32 { lead.probability = $0 }
        case "score": return int32 { lead.score = $0 }
        case "target_amount":
            guard let money = MoneyText.parse(text) else { fail("must be an amount with its currency, such as 1200.50 EUR"); return false }
            lead.targetAmount = money
        case "competitor_ids":
            var ids: [Int64] = []
            for item in list {
                if let id = Int64(item) { ids.append(id) } else if let match = c.catalog.first(where: { $0.kind == .competitor && $0.name.lowercased() == item.lowercased() }) {
                    ids.append(match.id)
                } else {
                    fail("names no competitor (\(item))")
                    return false
                }
            }
            lead.competitorIDs = ids
        case "last_contacted_at": return time { lead.lastContactedAt = $0 }
        case "contact_on": return time { lead.contactOn = $0 }
        case "expected_completion_at": return time { lead.expectedCompletionAt = $0 }
        case "status_id": return reference("status", c.statuses.map { ($0.id, $0.name) }) { standing.statusID = $0 }
        case "state":
            let key = String(text.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
            guard let state = LifecycleState(rawValue: key) ?? (key == "inprogress" ? .inProgress : nil) else {
                fail("must be one of \(LifecycleState.allCases.map(\.rawValue).joined(separator: ", "))")
                return false
            }
            standing.state = state
        case "started_at": return time { standing.startedAt = $0 }
        case "completed_at": return time { standing.completedAt = $0 }
        case "lost_reason_id": return reference("lost reason", c.catalog.filter { $0.kind == .lostReason }.map { ($0.id, $0.name) }) { standing.lostReasonID = $0 }
        case "owner_id":
            if let id = Int64(text) { owner = id } else if let id = userIDs[text] { owner = id } else {
                fail("names no user (\(text))")
                return false
            }
        default: fail("cannot be imported"); return false
        }
        return true
    }
}

/// Amounts as people write them: "1200.50 EUR" or "EUR 1200.50" (two decimals at most).
public enum MoneyText {
    public static func parse(_ text: String) -> LeadRecord.Money? {
        let parts = text.split(separator: " ").map(String.init)
        guard parts.count == 2 else { return nil }
        let (number, currency) = parts[0].first?.isLetter == true ? (parts[1], parts[0]) : (parts[0], parts[1])
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), let whole = Int64(pieces[0]), whole >= 0 else { return nil }
        var cents: Int64 = 0
        if pieces.count == 2 {
            guard (1...2).contains(pieces[1].count), let fraction = Int64(pieces[1]), fraction >= 0 else { return nil }
            cents = pieces[1].count == 1 ? fraction * 10 : fraction
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 100)
        guard !overflow else { return nil }
        return LeadRecord.Money(amountMinor: scaled + cents, currency: currency.uppercased())
    }

    public static func format(_ money: LeadRecord.Money) -> String {
        let cents = money.amountMinor % 100
        return "\(money.amountMinor / 100).\(cents < 10 ? "0" : "")\(cents) \(money.currency)"
    }
}
