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

    /// The LeadInput fields a file may fill (status comes from the type; teams and products are
    /// edited once the lead exists).
    public static let importable: [String] = [
        "full_name", "company", "emails", "phones", "login", "partner", "location", "country", "region", "province", "postal_code",
        "locale", "campaign", "channel", "source_type_id", "source", "type_id", "category_id", "priority", "importance",
        "probability", "target_amount", "score", "competitor_ids", "last_contacted_at", "contact_on", "expected_completion_at", "owner_id",
    ]

    /// Lead fields an export writes that an import cannot set: skipped when headers are matched
    /// by name, so an exported file imports again as it is.
    static let readOnly: Set<String> = [
        "id", "status", "status_id", "state", "assigned_unit", "assigned_unit_id", "assigned_user", "assigned_user_id", "started_at",
        "completed_at", "lost_reason", "accepted_at", "imported", "merged_into_id", "account_id", "opportunity_id", "converted_at",
        "time_overdue_ms", "version", "created_by", "created_at", "updated_at",
    ]

    /// Header spellings people use for the fields (compared lower-cased, with spaces and dashes as '_').
    static let aliases: [String: String] = [
        "name": "full_name", "fullname": "full_name", "email": "emails", "e_mail": "emails", "e_mails": "emails", "phone": "phones",
        "telephone": "phones", "type": "type_id", "lead_type": "type_id", "category": "category_id", "source_type": "source_type_id",
        "owner": "owner_id", "competitors": "competitor_ids", "postcode": "postal_code", "zip": "postal_code", "amount": "target_amount",
    ]

    public let configuration: LeadConfiguration
    public let caller: Caller
    public let now: Int64
    /// User ids by login, to read owners given by login.
    public let userIDs: [String: Int64]
    /// Column index -> target, decided from the header and the mapping.
    public private(set) var columns: [(index: Int, header: String, target: Target)] = []
    /// The type of each active custom field, by key.
    private let customTypes: [String: CustomFieldType]

    /// Decides what each column feeds: the mapping's field for the columns it names, else the
    /// field the header names (or one of its usual spellings); an unknown header is an error,
    /// so no data is dropped unseen.
    public init(header: [String], mapping: [(column: String, field: String)], configuration: LeadConfiguration, caller: Caller, now: Int64,
                userIDs: [String: Int64], into v: inout Violations) {
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
            } else if !Self.readOnly.contains(name.trimmingSpaces.lowercased()) {
                v.add("csv", "column \"\(name)\" matches no lead field; map it to its field (crm leads import --map \"\(name)=FIELD\"), or to \"\" to skip it")
            }
        }
        var seen = Set<Target>()
        for column in columns where !seen.insert(column.target).inserted {
            v.add("mapping", "more than one column feeds \(column.target.name)")
        }
        if !columns.contains(where: { $0.target == .field("full_name") }) { v.add("mapping", "no column feeds full_name, which every lead needs") }
    }

    /// The new lead a data row describes, ready to store, or the row's errors.
    public func lead(row: Int, fields: [String], header count: Int) -> Row {
        guard fields.count == count else {
            return .errors([RowError(row: row, column: "", message: "has \(fields.count) fields where the header has \(count)")])
        }
        var lead = LeadRecord()
        var errors: [RowError] = []
        var ownerID: Int64 = 0
        for column in columns {
            let text = fields[column.index].trimmingSpaces
            guard !text.isEmpty else { continue }
            func fail(_ message: String) { errors.append(RowError(row: row, column: column.header, message: message)) }
            switch column.target {
            case .custom(let key):
                let type = customTypes[key]!
                if let value = LeadRecord.CustomValue.parse(text, as: type) { lead.customFields[key] = value } else {
                    fail("must be a \(type.rawValue) value")
                }
            case .field(let name):
                if !set(name, text, on: &lead, owner: &ownerID, fail: fail) { continue }
            }
        }
        if !errors.isEmpty { return .errors(errors) }
        if ownerID != 0 { lead.ownerID = ownerID }
        if lead.ownerID != 0 && lead.ownerID != caller.userID && caller.role == .agent {
            return .errors([RowError(row: row, column: header(of: "owner_id"), message: "an agent imports leads for themselves")])
        }
        LeadLifecycle(configuration: configuration, now: now).prepareNew(&lead, caller: caller)
        lead.imported = true
        var v = Violations()
        LeadRules(configuration: configuration).check(&lead, prefix: "lead", creating: true, into: &v)
        if !v.all.isEmpty {
            return .errors(v.all.map { RowError(row: row, column: header(of: Self.field(ofViolation: $0.field)), message: $0.description) })
        }
        return .lead(lead)
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
    private func set(_ name: String, _ text: String, on lead: inout LeadRecord, owner: inout Int64, fail: (String) -> Void) -> Bool {
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
