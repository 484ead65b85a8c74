import CRMDomain
import CRMService
import CRMWire
import GRDB
import ReportsDomain

/// A lead filter of the contract as conditions on the read model's rows: every value a bound
/// parameter, every column from the fixed list below, text through the FTS5 index.
struct LeadRowQuery {
    /// The LeadRow fields a list may sort on, and their columns.
    static let sortable: [String: ListQuery.SortColumn] = {
        var columns: [String: ListQuery.SortColumn] = ["lead_id": .init("id")]
        let text = ["full_name", "company", "email", "phone", "country", "region", "province", "postal_code", "locale", "campaign", "channel",
                    "source_type", "type_name", "status_name", "owner_name", "assigned_unit_name", "assigned_user_name"]
        let numbers = ["type_id", "status_id", "state", "priority", "importance", "owner_id", "assigned_unit_id", "assigned_user_id", "contact_on",
                       "expected_completion_at", "completed_at", "converted", "open_work", "created_at", "updated_at"]
        for name in text { columns[name] = .init(name, text: true) }
        for name in numbers { columns[name] = .init(name) }
        columns["target_amount"] = .init("target_amount")
        return columns
    }()

    static let newestFirst: [(ListQuery.SortColumn, Bool)] = [(.init("created_at"), true)]

    var conditions: [(String, StatementArguments)] = []
    /// No condition at all: the maintained aggregates answer for every lead.
    var isEmpty: Bool { conditions.isEmpty }

    /// Reads `filter` (its view is ignored), adding a violation per bad field under `field`.
    init(_ filter: LeadsV1.LeadFilter, field: String = "filter", customFields: [String: String], now: Int64, into v: inout Violations) {
        func add(_ sql: String, _ values: [any DatabaseValueConvertible] = []) { conditions.append((sql, StatementArguments(values))) }
        func anyOf(_ column: String, _ values: [any DatabaseValueConvertible]) {
            guard !values.isEmpty else { return }
            add("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", values)
        }
        func range(_ column: String, _ r: RpcV1.TimeRange?, _ name: String) {
            guard let r else { return }
            if r.fromMs != 0 && r.toMs != 0 && r.toMs <= r.fromMs { v.add("\(field).\(name).to_ms", "must be after from_ms") }
            if r.fromMs != 0 { add("\(column) >= ?", [r.fromMs]) }
            if r.toMs != 0 { add("\(column) < ?", [r.toMs]) }
        }
        TextLimit(characters: 200).check(filter.text, field: "\(field).text", into: &v)
        let texts: [([String], String)] = [
            (filter.countries, "countries"), (filter.regions, "regions"), (filter.provinces, "provinces"), (filter.postalCodes, "postal_codes"),
            (filter.campaigns, "campaigns"), (filter.channels, "channels"), (filter.locales, "locales"),
        ]
        for (values, name) in texts {
            if values.count > 100 { v.add("\(field).\(name)", "must have at most 100 values") }
            for (i, value) in values.prefix(100).enumerated() { TextLimit(characters: 200).check(value, field: "\(field).\(name)[\(i)]", into: &v) }
        }
        let ids: [([Int64], String)] = [
            (filter.sourceTypeIds, "source_type_ids"), (filter.typeIds, "type_ids"), (filter.categoryIds, "category_ids"), (filter.statusIds, "status_ids"),
            (filter.ownerIds, "owner_ids"), (filter.assignedUnitIds, "assigned_unit_ids"), (filter.assignedUserIds, "assigned_user_ids"), (filter.ids, "ids"),
        ]
        for (values, name) in ids where values.count > 1_000 { v.add("\(field).\(name)", "must have at most 1,000 values") }

        let words = filter.text.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.contains(where: { $0.isLetter || $0.isNumber }) }
        if !words.isEmpty {
            // Each word a quoted FTS5 phrase (quotes inside doubled), the last one also as a prefix, as
            // when someone is still typing it: "ana" "acm"*. Only the last is a prefix because a prefix
            // query expands to every token it starts (a common word would expand to thousands).
            let kept = Array(words.prefix(20))
            let match = kept.enumerated().map { i, word in
                "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\"" + (i == kept.count - 1 ? "*" : "")
            }.joined(separator: " ")
            add("id IN (SELECT rowid FROM lead_text WHERE lead_text MATCH ?)", [match])
        }
        anyOf("country", filter.countries.map { $0.uppercased() })
        anyOf("region", filter.regions)
        anyOf("province", filter.provinces)
        let exact = filter.postalCodes.filter { !$0.hasSuffix("*") }
        let prefixes = filter.postalCodes.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        if !exact.isEmpty || !prefixes.isEmpty {
            // A prefix is a range on the index (never LIKE: a long pattern is costly and "%" would be a wildcard).
            var parts: [String] = [], values: [any DatabaseValueConvertible] = []
            if !exact.isEmpty {
                parts.append("postal_code IN (\(Array(repeating: "?", count: exact.count).joined(separator: ", ")))")
                values += exact
            }
            for prefix in prefixes {
                parts.append("(postal_code >= ? AND postal_code < ?)")
                values += [prefix, prefix + "\u{10FFFF}"]
            }
            add(parts.joined(separator: " OR "), values)
        }
        anyOf("campaign", filter.campaigns)
        anyOf("channel", filter.channels)
        anyOf("locale", filter.locales)
        anyOf("source_type_id", filter.sourceTypeIds)
        anyOf("type_id", filter.typeIds)
        anyOf("category_id", filter.categoryIds)
        anyOf("status_id", filter.statusIds)
        var states: [Int32] = []
        for (i, state) in filter.states.enumerated() {
            if let s = LifecycleState(state) { states.append(s.protoValue) } else { v.add("\(field).states[\(i)]", "is not a life-cycle state") }
        }
        anyOf("state", states)
        anyOf("owner_id", filter.ownerIds)
        anyOf("assigned_unit_id", filter.assignedUnitIds)
        anyOf("assigned_user_id", filter.assignedUserIds)
        anyOf("id", filter.ids)
        range("created_at", filter.created, "created")
        range("updated_at", filter.updated, "updated")
        range("contact_on", filter.contactOn, "contact_on")
        range("expected_completion_at", filter.expectedCompletion, "expected_completion")
        if filter.overdueOnly {
            add(Self.overdue, [filter.overdueAsOf == 0 ? now : filter.overdueAsOf])
        }
        if filter.unassignedOnly { add("assigned_unit_id = 0 AND assigned_user_id = 0") }
        if filter.importedOnly { add("imported") }
        if filter.minPriority < 0 || filter.minPriority > 10 { v.add("\(field).min_priority", "must be from 1 to 10, or 0 for any") }
        if filter.minImportance < 0 || filter.minImportance > 8 { v.add("\(field).min_importance", "must be from 1 to 8, or 0 for any") }
        if filter.minPriority > 0 { add("priority >= ?", [filter.minPriority]) }
        if filter.minImportance > 0 { add("importance >= ?", [filter.minImportance]) }
        if filter.customFields.count > 20 { v.add("\(field).custom_fields", "must have at most 20 conditions") }
        for (i, condition) in filter.customFields.prefix(20).enumerated() {
            let name = "\(field).custom_fields[\(i)]"
            guard let type = customFields[condition.key] else {
                v.add("\(name).key", "is not a custom field of the lead configuration")
                continue
            }
            if condition.equals.count > 100 { v.add("\(name).equals", "must have at most 100 values") }
            custom(condition, type: type, name: name, into: &v)
        }
    }

    /// Open and past its expected completion at the bound instant (matches the partial index).
    static let overdue = "is_open AND expected_completion_at > 0 AND expected_completion_at < ?"

    private mutating func custom(_ c: LeadsV1.CustomFieldFilter, type: String, name: String, into v: inout Violations) {
        let kind = type == "choice" ? "text" : type
        let path = "$.\"\(c.key)\".\(kind)"
        func value(_ text: String, _ part: String) -> (any DatabaseValueConvertible)? {
            switch type {
            case "integer": if let n = Int64(text) { return n }
            case "decimal": if let d = Double(text) { return d }
            case "date": if let ms = Timestamp.parse(text) { return ms }
            case "boolean":
                if ["true", "yes", "1"].contains(text.lowercased()) { return 1 }
                if ["false", "no", "0"].contains(text.lowercased()) { return 0 }
            default: return text.lowercased()
            }
            v.add("\(name).\(part)", "\"\(text.prefix(50))\" is not a \(type) value")
            return nil
        }
        let column = type == "decimal" ? "CAST(json_extract(custom_fields, ?) AS REAL)"
            : kind == "text" ? "lower(json_extract(custom_fields, ?))" : "json_extract(custom_fields, ?)"
        let equals = c.equals.prefix(100).compactMap { value($0, "equals") }
        if !equals.isEmpty {
            conditions.append(("\(column) IN (\(Array(repeating: "?", count: equals.count).joined(separator: ", ")))", StatementArguments([path] + equals)))
        }
        if !c.min.isEmpty, let min = value(c.min, "min") { conditions.append(("\(column) >= ?", StatementArguments([path, min]))) }
        if !c.max.isEmpty, let max = value(c.max, "max") { conditions.append(("\(column) <= ?", StatementArguments([path, max]))) }
    }

    /// Only the leads a unit manager sees: her unit's, or owned by or assigned to its members.
    mutating func restrict(toUnit unitID: Int64) {
        conditions.append(("(assigned_unit_id = ? OR owner_id IN (SELECT id FROM user_name WHERE unit_id = ?) OR assigned_user_id IN (SELECT id FROM user_name WHERE unit_id = ?))",
                           [unitID, unitID, unitID]))
    }

    /// Only the caller's own leads: owned by or assigned to them.
    mutating func restrict(toUser userID: Int64) {
        conditions.append(("(owner_id = ? OR assigned_user_id = ?)", [userID, userID]))
    }

    mutating func require(_ sql: String, _ arguments: StatementArguments = StatementArguments()) {
        conditions.append((sql, arguments))
    }

    /// The conditions as a ListQuery over lead_row in `order`.
    func listQuery(order: [(ListQuery.SortColumn, Bool)]) -> ListQuery {
        var query = ListQuery(table: "lead_row", order: order)
        for (sql, arguments) in conditions { query.require(sql, arguments) }
        return query
    }

    /// "WHERE ..." (or nothing) and its arguments, for the aggregates computed from rows.
    var whereClause: (sql: String, arguments: StatementArguments) {
        guard !conditions.isEmpty else { return ("", StatementArguments()) }
        var arguments = StatementArguments()
        for (_, a) in conditions { arguments += a }
        return ("WHERE " + conditions.map { "(\($0.0))" }.joined(separator: " AND "), arguments)
    }
}
