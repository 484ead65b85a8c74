import GRDB

/// An ORDER BY over chosen columns, always ending with the row id, and the WHERE condition that
/// starts after a cursor: keyset paging, which reads only the rows of the page and stays right
/// while rows change (an offset would repeat or skip them).
public struct KeysetOrder: Sendable {
    public struct Key: Sendable {
        /// The column, as SQL (from a fixed list of the service's: never the caller's text).
        public var column: String
        public var descending: Bool
        public init(_ column: String, descending: Bool = false) {
            self.column = column
            self.descending = descending
        }
    }

    public var keys: [Key]
    /// The id column ("a.id").
    public var idColumn: String
    /// Whether the id, the last tie-breaker, descends (by default it follows the first key's
    /// direction, so that an order one way is one range of an index).
    public var idDescending: Bool

    public init(keys: [Key], idColumn: String, idDescending: Bool? = nil) {
        self.keys = keys
        self.idColumn = idColumn
        self.idDescending = idDescending ?? keys.first?.descending ?? false
    }

    /// "ORDER BY ..." text.
    public var orderBy: String {
        let parts = keys.map { "\($0.column) \($0.descending ? "DESC" : "ASC")" } + ["\(idColumn) \(idDescending ? "DESC" : "ASC")"]
        return "ORDER BY " + parts.joined(separator: ", ")
    }

    /// The condition "comes after the row with these values and id", and its arguments.
    public func after(_ values: [DatabaseValue], id: Int64) -> (sql: String, arguments: StatementArguments) {
        precondition(values.count == keys.count)
        let columns = keys.map { ($0.column, $0.descending) } + [(idColumn, idDescending)]
        let all = values + [id.databaseValue]
        // Every key one way: a row value, which SQLite reads as a range of the index (the
        // expanded OR below it can only filter, walking the index from its start).
        if columns.allSatisfy({ $0.1 == columns[0].1 }) {
            return ("(" + columns.map(\.0).joined(separator: ", ") + ") \(columns[0].1 ? "<" : ">") (" + columns.map { _ in "?" }.joined(separator: ", ") + ")",
                    StatementArguments(all))
        }
        var alternatives: [String] = []
        var arguments = StatementArguments()
        for i in columns.indices {
            var terms: [String] = []
            for j in 0..<i {
                terms.append("\(columns[j].0) = ?")
                arguments += [all[j]]
            }
            terms.append("\(columns[i].0) \(columns[i].1 ? "<" : ">") ?")
            arguments += [all[i]]
            alternatives.append("(" + terms.joined(separator: " AND ") + ")")
        }
        return ("(" + alternatives.joined(separator: " OR ") + ")", arguments)
    }
}
