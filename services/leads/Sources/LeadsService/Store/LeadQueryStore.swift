import LeadsDomain
import CRMDomain
import CRMService
import GRDB

/// ListLeads in SQL: every condition a bound parameter, sort keys from a whitelist, and the
/// caller's visibility part of the WHERE clause (so counts and pages never include hidden leads).
enum LeadQueryStore {
    /// One page of a query: the leads, the cursor of the page after it (nil at the end), and
    /// how many leads match in all.
    struct Page {
        var leads: [LeadRecord]
        var next: PageCursor?
        var total: Int64
    }

    /// The page after `cursor` (nil: the first): at most `limit` leads, and no more than fill
    /// one answer; `fingerprint` binds the next page's cursor to this query.
    static func page(_ db: Database, _ query: LeadQuery, caller: Caller, now: Int64, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> Page {
        let statements = pageStatements(query, caller: caller, now: now, after: cursor, limit: limit)
        let keys = try Row.fetchAll(db, sql: statements.ids, arguments: statements.idArguments)
        let total = try Int64.fetchOne(db, sql: statements.count, arguments: statements.countArguments) ?? 0
        var fill = PageFill()
        var leads: [LeadRecord] = []
        for row in try rows(db, ids: keys.prefix(limit).map { $0["id"] }) {
            guard fill.admits(row) else { break }
            leads.append(LeadRecord(row: row))
        }
        var next: PageCursor?
        if leads.count < keys.count, let last = keys.first(where: { ($0["id"] as Int64) == leads.last?.id }) {
            let columns = order(query).keys
            next = PageCursor(query: fingerprint, values: columns.map { key in
                textColumns.contains(key.column) ? .text(last[key.column] as String) : .int(last[key.column] as Int64)
            }, id: last["id"])
        }
        return Page(leads: leads, next: next, total: total)
    }

    /// The sortable columns that hold text (the rest hold integers).
    static let textColumns: Set<String> = ["full_name", "company", "country", "region", "province", "postal_code", "locale", "campaign", "channel", "state"]

    /// The query's order: its sort keys (checked against LeadQuery.sortable), newest first when
    /// it has none, and the id last so that rows never tie and a cursor is exact.
    static func order(_ query: LeadQuery) -> KeysetOrder {
        // Keys after an id key could never decide anything, so the id ends the order there.
        let untilID = query.sort.prefix { $0.field != "id" }
        let keys = untilID.filter { LeadQuery.sortable.contains($0.field) }.map { KeysetOrder.Key($0.field, descending: $0.descending) }
        if let byID = query.sort.first(where: { $0.field == "id" }) {
            return KeysetOrder(keys: keys, idColumn: "id", idDescending: byID.descending)
        }
        return keys.isEmpty ? KeysetOrder(keys: [KeysetOrder.Key("created_at", descending: true)], idColumn: "id") : KeysetOrder(keys: keys, idColumn: "id")
    }

    /// The page's keys (id and sort values, one row past the page to know whether another
    /// follows) and the count of every match, as two statements in one read: with an index that
    /// serves the filter, the keys stop after the page in index order and the count reads index
    /// entries only; the page's rows are then read by id.
    static func pageStatements(_ query: LeadQuery, caller: Caller, now: Int64, after cursor: PageCursor?, limit: Int)
        -> (ids: String, idArguments: StatementArguments, count: String, countArguments: StatementArguments) {
        let (whereClause, arguments) = clauses(query, caller: caller, now: now)
        let order = order(query)
        var pageWhere = whereClause
        var pageArguments = arguments
        if let cursor, cursor.values.count == order.keys.count {
            let values: [DatabaseValue] = zip(order.keys, cursor.values).map { key, value in
                switch value {
                case .int(let n): return textColumns.contains(key.column) ? String(n).databaseValue : n.databaseValue
                case .text(let s): return textColumns.contains(key.column) ? s.databaseValue : (Int64(s) ?? 0).databaseValue
                }
            }
            let after = order.after(values, id: cursor.id)
            pageWhere += (pageWhere.isEmpty ? "WHERE " : " AND ") + after.sql
            pageArguments += after.arguments
        }
        let selected = (["id"] + order.keys.map(\.column)).joined(separator: ", ")
        return ("SELECT \(selected) FROM lead \(pageWhere) \(order.orderBy) LIMIT ?", pageArguments + [limit + 1],
                "SELECT COUNT(*) FROM lead \(whereClause)", arguments)
    }

    /// The ids of every lead of the query, in its order (an export reads them a batch at a time).
    static func ids(_ db: Database, _ query: LeadQuery, caller: Caller, now: Int64, limit: Int? = nil) throws -> [Int64] {
        let (whereClause, arguments) = clauses(query, caller: caller, now: now)
        return try Int64.fetchAll(db, sql: "SELECT id FROM lead \(whereClause) \(order(query).orderBy)" + (limit.map { " LIMIT \($0)" } ?? ""), arguments: arguments)
    }

    /// The leads with these ids, in the order given (missing ones left out).
    static func leads(_ db: Database, ids: [Int64]) throws -> [LeadRecord] {
        try rows(db, ids: ids).map(LeadRecord.init(row:))
    }

    /// The stored rows of the leads with these ids, in the order given (missing ones left out).
    private static func rows(_ db: Database, ids: [Int64]) throws -> [Row] {
        guard !ids.isEmpty else { return [] }
        let rows = try Row.fetchAll(db, sql: "SELECT \(LeadColumns.selection) FROM lead WHERE id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))",
                                    arguments: StatementArguments(ids))
        let byID = Dictionary(uniqueKeysWithValues: rows.map { row in (row[0] as Int64, row) })
        return ids.compactMap { byID[$0] }
    }

    /// The WHERE clause and arguments of a query for a caller.
    private static func clauses(_ query: LeadQuery, caller: Caller, now: Int64) -> (where: String, arguments: StatementArguments) {
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
            // LeadStore.isUnread, in SQL: not opened by its assignee since assigned, or marked unread.
            add("""
                ((assigned_user_id = ? AND COALESCE((SELECT read_at FROM lead_read WHERE lead_id = lead.id AND user_id = ?), -1) < MAX(accepted_at, last_reassigned_at, created_at)) \
                OR EXISTS (SELECT 1 FROM lead_read WHERE lead_id = lead.id AND user_id = ? AND read_at = ?))
                """, [caller.userID, caller.userID, caller.userID, LeadStore.markedUnread])
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
        return (whereClause, arguments)
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
