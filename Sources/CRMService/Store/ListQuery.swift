import CRMDomain
import GRDB

/// A list call's query: conditions from its filter, an order from its sort keys, paged by a
/// cursor. Every service's list RPCs are this: a filter, a sort on a fixed set of columns, a
/// page after a cursor, and the total count.
public struct ListQuery: Sendable {
    /// A column a caller may sort on, by the field name in the listed message.
    public struct SortColumn: Sendable {
        public var column: String
        public var isText: Bool
        /// A collation the order uses ("NOCASE" for names), or nil for the column's own.
        public var collation: String?
        public init(_ column: String, text: Bool = false, collation: String? = nil) {
            self.column = column
            self.isText = text
            self.collation = collation
        }

        /// The column as the order and the cursor's condition name it.
        var orderExpression: String { collation.map { "\(column) COLLATE \($0)" } ?? column }
    }

    public var table: String
    public var conditions: [String] = []
    public var arguments = StatementArguments()
    public var order: KeysetOrder
    private var sortColumns: [SortColumn]

    /// - Parameter idDescending: the direction of the id, which ends every order (by default
    ///   the first key's; for an order by id alone, ascending).
    public init(table: String, order: [(SortColumn, Bool)], idDescending: Bool? = nil) {
        self.table = table
        self.sortColumns = order.map(\.0)
        self.order = KeysetOrder(keys: order.map { KeysetOrder.Key($0.0.orderExpression, descending: $0.1) }, idColumn: "id", idDescending: idDescending)
    }

    /// The order a request asks for: each key must be in `allowed` (by field name), at most
    /// three, no repeats; none gives `defaultOrder`.
    public static func order(
        _ keys: [(field: String, descending: Bool)], allowed: [String: SortColumn], default defaultOrder: [(SortColumn, Bool)],
        field: String = "sort", into violations: inout Violations
    ) -> [(SortColumn, Bool)] {
        guard !keys.isEmpty else { return defaultOrder }
        if keys.count > 3 { violations.add(field, "may have at most 3 keys") }
        var order: [(SortColumn, Bool)] = []
        var seen: Set<String> = []
        for (index, key) in keys.prefix(3).enumerated() {
            guard let column = allowed[key.field] else {
                violations.add("\(field)[\(index)].field", "cannot sort on \"\(key.field.prefix(100))\"; one of: \(allowed.keys.sorted().joined(separator: ", "))")
                continue
            }
            guard seen.insert(key.field).inserted else {
                violations.add("\(field)[\(index)].field", "\(key.field) is already a sort key")
                continue
            }
            order.append((column, key.descending))
        }
        return order.isEmpty ? defaultOrder : order
    }

    public mutating func require(_ sql: String, _ values: StatementArguments = StatementArguments()) {
        conditions.append(sql)
        arguments += values
    }

    /// `column IN (...)` for a non-empty list.
    public mutating func require<V: DatabaseValueConvertible>(_ column: String, in values: [V]) {
        guard !values.isEmpty else { return }
        require("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", StatementArguments(values))
    }

    private var whereSQL: String { conditions.isEmpty ? "" : "WHERE " + conditions.map { "(\($0))" }.joined(separator: " AND ") }

    /// One page after `cursor` (nil: the first), the rows' cursor for the next page (nil at
    /// the end), and how many rows match in all, read in one snapshot. `knownTotal` is that
    /// count when the caller keeps it already (a maintained aggregate), so no rows are counted.
    ///
    /// `index` names the index to walk (`INDEXED BY`): the caller's choice when it knows better
    /// than SQLite's planner, which takes an index that serves the filter and sorts every match
    /// even when the match is a fifth of a million rows and the sort's own index would find the
    /// page in a few hundred.
    public func page<Record>(
        _ db: Database, after cursor: PageCursor?, limit: Int, fingerprint: String, knownTotal: Int64? = nil, index: String? = nil,
        record: (Row) -> Record
    ) throws -> (records: [Record], next: PageCursor?, total: Int64) {
        var sql = "SELECT * FROM \(table) " + (index.map { "INDEXED BY \($0) " } ?? "")
        var pageConditions = conditions
        var pageArguments = arguments
        if let cursor {
            let values: [DatabaseValue] = zip(sortColumns, cursor.values).map { column, value in
                switch value {
                case .int(let n): return column.isText ? String(n).databaseValue : n.databaseValue
                case .text(let s): return column.isText ? s.databaseValue : (Int64(s) ?? 0).databaseValue
                }
            }
            if values.count == sortColumns.count {
                let after = order.after(values, id: cursor.id)
                pageConditions.append(after.sql)
                pageArguments += after.arguments
            }
        }
        if !pageConditions.isEmpty { sql += "WHERE " + pageConditions.map { "(\($0))" }.joined(separator: " AND ") + " " }
        sql += order.orderBy + " LIMIT ?"
        pageArguments += [limit + 1]
        // The page ends at `limit` rows or when it fills an answer, whichever comes first.
        var fill = PageFill()
        var rows: [Row] = []
        var more = false
        let cursorRows = try Row.fetchCursor(db, sql: sql, arguments: pageArguments)
        while let row = try cursorRows.next() {
            guard rows.count < limit, fill.admits(row) else { more = true; break }
            rows.append(row.copy())
        }
        let records = rows.map(record)
        var next: PageCursor?
        if more, let last = rows.last {
            let values: [PageCursor.Value] = sortColumns.map { column in
                column.isText ? .text(last[column.column] as String? ?? "") : .int(last[column.column] as Int64? ?? 0)
            }
            next = PageCursor(query: fingerprint, values: values, id: last["id"])
        }
        let total = try knownTotal ?? count(db)
        return (records, next, total)
    }

    /// How many rows match.
    public func count(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) \(whereSQL)", arguments: arguments) ?? 0
    }

    /// The first sort key's column.
    public var firstSortColumn: String? { sortColumns.first?.column }
}
