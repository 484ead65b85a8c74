import LeadsDomain
import CRMDomain
import GRDB

/// ListLeads in SQL: every condition a bound parameter, sort keys from a whitelist, and the
/// caller's visibility part of the WHERE clause (so counts and pages never include hidden leads).
enum LeadQueryStore {
    static func page(_ db: Database, _ query: LeadQuery, caller: Caller, now: Int64, offset: Int, limit: Int) throws -> (leads: [LeadRecord], total: Int64) {
        let statements = pageStatements(query, caller: caller, now: now, offset: offset, limit: limit)
        let ids = try Int64.fetchAll(db, sql: statements.ids, arguments: statements.idArguments)
        let total = try Int64.fetchOne(db, sql: statements.count, arguments: statements.countArguments) ?? 0
        return (try leads(db, ids: ids), total)
    }

    /// The page's ids and the count of every match, as two statements in one read: with an index
    /// that serves the filter, the ids stop after the page in index order and the count reads
    /// index entries only; the page's rows are then read by id.
    static func pageStatements(_ query: LeadQuery, caller: Caller, now: Int64, offset: Int, limit: Int)
        -> (ids: String, idArguments: StatementArguments, count: String, countArguments: StatementArguments) {
        let (whereClause, order, arguments) = clauses(query, caller: caller, now: now)
        return ("SELECT id FROM lead \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?", arguments + [limit, offset],
                "SELECT COUNT(*) FROM lead \(whereClause)", arguments)
    }

    /// The ids of every lead of the query, in its order (an export reads them a batch at a time).
    static func ids(_ db: Database, _ query: LeadQuery, caller: Caller, now: Int64) throws -> [Int64] {
        let (whereClause, order, arguments) = clauses(query, caller: caller, now: now)
        return try Int64.fetchAll(db, sql: "SELECT id FROM lead \(whereClause) ORDER BY \(order)", arguments: arguments)
    }

    /// The leads with these ids, in the order given (missing ones left out).
    static func leads(_ db: Database, ids: [Int64]) throws -> [LeadRecord] {
        guard !ids.isEmpty else { return [] }
        let rows = try Row.fetchAll(db, sql: "SELECT \(LeadColumns.selection) FROM lead WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))",
                                    arguments: StatementArguments(ids))
        let byID = Dictionary(uniqueKeysWithValues: rows.map { row in (row[0] as Int64, row) })
        return ids.compactMap { byID[$0].map(LeadRecord.init(row:)) }
    }

    /// The WHERE clause, ORDER BY list and arguments of a query for a caller.
    private static func clauses(_ query: LeadQuery, caller: Caller, now: Int64) -> (where: String, order: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        func add(_ sql: String, _ values: [any DatabaseValueConvertible]) {
            conditions.append(sql)
            _ = arguments.append(contentsOf: StatementArguments(values))
        }
        func anyOf(_ column: String, _ values: [any DatabaseValueConvertible]) {
            guard !values.isEmpty else { return }
            add("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", values)
        }
        func range(_ column: String, _ r: LeadQuery.Range) {
            if r.from != 0 { add("\(column) >= ?", [r.from]) }
            if r.to != 0 { add("\(column) < ?", [r.to]) }
        }

        // Visibility (LeadAccess.canSee, in SQL).
        if !caller.role.seesAllLeads {
            var visible = "(owner_id = ? OR assigned_user_id = ? OR EXISTS (SELECT 1 FROM json_each(lead.team_user_ids) WHERE value = ?)"
            var values: [any DatabaseValueConvertible] = [caller.userID, caller.userID, caller.userID]
            if caller.unitID != 0 {
                if caller.role == .unitManager {
                    visible += " OR assigned_unit_id = ? OR owner_id IN (SELECT id FROM user WHERE unit_id = ?) OR assigned_user_id IN (SELECT id FROM user WHERE unit_id = ?)"
                    values += [caller.unitID, caller.unitID, caller.unitID]
                } else {
                    visible += " OR (assigned_unit_id = ? AND assigned_user_id = 0)"
                    values.append(caller.unitID)
                }
            }
            add(visible + ")", values)
        }
        switch query.view {
        case .visible, .all: break
        case .mine: add("(owner_id = ? OR assigned_user_id = ?)", [caller.userID, caller.userID])
        case .unit:
            // The unit's leads: assigned to it, or owned by or assigned to one of its members.
            add("(assigned_unit_id = ? OR owner_id IN (SELECT id FROM user WHERE unit_id = ?) OR assigned_user_id IN (SELECT id FROM user WHERE unit_id = ?))",
                [caller.unitID, caller.unitID, caller.unitID])
        case .unread:
            add("assigned_user_id = ? AND COALESCE((SELECT read_at FROM lead_read WHERE lead_id = lead.id AND user_id = ?), -1) < MAX(accepted_at, last_reassigned_at, created_at)",
                [caller.userID, caller.userID])
        case .converted: add("converted_at > 0", [])
        case .recentlyCreated: add("created_at >= ?", [now - 7 * 86_400_000])
        }
        for word in query.words { add("search_text LIKE ? ESCAPE '\\'", ["%" + likeEscaped(word.lowercased()) + "%"]) }
        anyOf("country", query.countries)
        anyOf("region", query.regions)
        anyOf("province", query.provinces)
        let exact = query.postalCodes.filter { !$0.hasSuffix("*") }
        let prefixes = query.postalCodes.filter { $0.hasSuffix("*") }.map { likeEscaped(String($0.dropLast())) + "%" }
        if !exact.isEmpty || !prefixes.isEmpty {
            let parts = (exact.isEmpty ? [] : ["postal_code IN (\(Array(repeating: "?", count: exact.count).joined(separator: ", ")))"])
                + prefixes.map { _ in "postal_code LIKE ? ESCAPE '\\'" }
            add("(" + parts.joined(separator: " OR ") + ")", exact + prefixes)
        }
        anyOf("campaign", query.campaigns)
        anyOf("channel", query.channels)
        anyOf("locale", query.locales)
        anyOf("source_type_id", query.sourceTypeIDs)
        anyOf("type_id", query.typeIDs)
        anyOf("category_id", query.categoryIDs)
        anyOf("status_id", query.statusIDs)
        anyOf("state", query.states.map(\.rawValue))
        anyOf("owner_id", query.ownerIDs)
        anyOf("assigned_unit_id", query.assignedUnitIDs)
        anyOf("assigned_user_id", query.assignedUserIDs)
        anyOf("id", query.ids)
        range("created_at", query.created)
        range("updated_at", query.updated)
        range("contact_on", query.contactOn)
        range("expected_completion_at", query.expectedCompletion)
        if let asOf = query.overdueAsOf {
            add("state IN ('pending', 'in_progress') AND expected_completion_at > 0 AND expected_completion_at < ?", [asOf])
        }
        if query.unassignedOnly { add("assigned_unit_id = 0 AND assigned_user_id = 0", []) }
        if query.importedOnly { add("imported", []) }
        if query.minPriority > 0 { add("priority >= ?", [query.minPriority]) }
        if query.minImportance > 0 { add("importance >= ?", [query.minImportance]) }

        for condition in query.customConditions { customCondition(condition, add) }

        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // Sort keys were checked against LeadQuery.sortable; id breaks ties so pages are stable.
        var order = query.sort.filter { LeadQuery.sortable.contains($0.field) }.map { "\($0.field) \($0.descending ? "DESC" : "ASC")" }
        if order.isEmpty { order = ["created_at DESC"] }
        order.append("id DESC")
        return (whereClause, order.joined(separator: ", "), arguments)
    }

    /// A custom-field condition on the JSON column. Values are stored as Codable writes the enum
    /// ({"cups": {"text": {"_0": "ES00..."}}}), so the path names the value's case; the key is
    /// a declared key (a-z, 0-9, '_') and the path is a bound parameter all the same.
    private static func customCondition(_ c: LeadQuery.CustomCondition, _ add: (String, [any DatabaseValueConvertible]) -> Void) {
        let kind: String
        switch c.type {
        case .text, .choice: kind = "text"
        case .integer: kind = "integer"
        case .decimal: kind = "decimal"
        case .boolean: kind = "boolean"
        case .date: kind = "date"
        }
        let path = "$.\"\(c.key)\".\(kind)._0"
        let column = c.type == .decimal ? "CAST(json_extract(custom_fields, ?) AS REAL)"
            : c.type == .text || c.type == .choice ? "lower(json_extract(custom_fields, ?))" : "json_extract(custom_fields, ?)"
        func sqlValue(_ value: LeadRecord.CustomValue) -> any DatabaseValueConvertible {
            switch value {
            case .text(let text): return text.lowercased()
            case .decimal(let text): return Double(text) ?? 0
            case .integer(let n), .date(let n): return n
            case .boolean(let b): return b ? 1 : 0
            }
        }
        if !c.equals.isEmpty {
            add("\(column) IN (\(Array(repeating: "?", count: c.equals.count).joined(separator: ", ")))", [path] + c.equals.map(sqlValue))
        }
        if let min = c.min { add("\(column) >= ?", [path, sqlValue(min)]) }
        if let max = c.max { add("\(column) <= ?", [path, sqlValue(max)]) }
    }
}
