import CRMDomain
import CRMWire
import GRDB
import ReportsDomain

/// The aggregate reports. With no condition on leads they read the maintained cells (a handful
/// of rows, whatever the number of leads); with conditions they count the matching rows through
/// the indexes, since no cell could know every filter in advance.
enum AggregateQueries {
    static func countByTypeAndStatus(_ db: Database, _ query: LeadRowQuery) throws -> [ReportsV1.TypeStatusCount] {
        let sql: String
        var arguments = StatementArguments()
        if query.isEmpty {
            sql = """
                SELECT a.type_id, COALESCE(t.name, ''), a.status_id, COALESCE(s.name, ''), COALESCE(s.state, 0), a.count
                FROM agg_type_status a LEFT JOIN type_name t ON t.id = a.type_id LEFT JOIN status_name s ON s.id = a.status_id
                """
        } else {
            let w = query.whereClause
            arguments = w.arguments
            sql = "SELECT type_id, MAX(type_name), status_id, MAX(status_name), MAX(state), COUNT(*) FROM lead_row \(w.sql) GROUP BY type_id, status_id"
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM (\(sql)) ORDER BY 2, 4, 1, 3", arguments: arguments).map {
            ReportsV1.TypeStatusCount(typeId: $0[0], typeName: $0[1], statusId: $0[2], statusName: $0[3],
                                      state: LeadsV1.LifecycleState(protoValue: $0[4]), count: $0[5])
        }
    }

    static func pipeline(_ db: Database, _ query: LeadRowQuery) throws -> [ReportsV1.PipelineStage] {
        let rows: [Row]
        if query.isEmpty {
            rows = try Row.fetchAll(db, sql: "SELECT state, currency, count, amount, weighted FROM agg_pipeline")
        } else {
            let w = query.whereClause
            rows = try Row.fetchAll(db, sql: """
                SELECT state, CASE WHEN target_amount = 0 THEN '' ELSE currency END AS money, COUNT(*), SUM(target_amount),
                       SUM((target_amount * MAX(0, MIN(100, probability)) + 50) / 100)
                FROM lead_row \(w.sql) GROUP BY state, money
                """, arguments: w.arguments)
        }
        return LifecycleState.allCases.map { state in
            var stage = ReportsV1.PipelineStage(state: state.wire)
            for row in rows where (row[0] as Int32) == state.protoValue {
                stage.count += row[2] as Int64
                let currency: String = row[1]
                guard !currency.isEmpty else { continue }
                stage.targetAmounts.append(RpcV1.Money(amountMinor: row[3], currency: currency))
                stage.weightedAmounts.append(RpcV1.Money(amountMinor: row[4], currency: currency))
            }
            stage.targetAmounts.sort { $0.currency < $1.currency }
            stage.weightedAmounts.sort { $0.currency < $1.currency }
            return stage
        }
    }

    static func conversion(_ db: Database, _ grouping: ConversionGrouping, created: RpcV1.TimeRange?, _ query: LeadRowQuery) throws -> [ReportsV1.ConversionRate] {
        let from = created?.fromMs ?? 0, to = created?.toMs ?? 0
        var tallies: [String: ConversionTally] = [:]
        func count(_ key: String, _ state: Int32, _ n: Int64) {
            var tally = tallies[key] ?? ConversionTally(key: key)
            switch LifecycleState(protoValue: state) {
            case .won: tally.won += n
            case .lost: tally.lost += n
            case .cancelled: tally.cancelled += n
            default: tally.open += n
            }
            tallies[key] = tally
        }
        if query.isEmpty, let span = Day.exactSpan(from: from, to: to) {
            var sql = "SELECT key, state, SUM(count) FROM agg_conversion WHERE grouping = ?"
            var arguments: StatementArguments = [grouping.rawValue]
            if let first = span.first { sql += " AND day >= ?"; arguments += [first] }
            if let last = span.last { sql += " AND day <= ?"; arguments += [last] }
            for row in try Row.fetchAll(db, sql: sql + " GROUP BY key, state", arguments: arguments) { count(row[0], row[1], row[2]) }
        } else {
            var q = query
            if from != 0 { q.require("created_at >= ?", [from]) }
            if to != 0 { q.require("created_at < ?", [to]) }
            let key = switch grouping {
            case .source: "CAST(source_type_id AS TEXT)"
            case .campaign: "campaign"
            case .owner: "CAST(owner_id AS TEXT)"
            }
            let w = q.whereClause
            for row in try Row.fetchAll(db, sql: "SELECT \(key) AS k, state, COUNT(*) FROM lead_row \(w.sql) GROUP BY k, state", arguments: w.arguments) {
                count(row[0], row[1], row[2])
            }
        }
        let labels = try Self.labels(db, grouping, keys: Array(tallies.keys))
        return ConversionTally.ranked(Array(tallies.values)).map {
            ReportsV1.ConversionRate(key: $0.key, label: labels[$0.key] ?? $0.key, total: $0.total, won: $0.won, lost: $0.lost,
                                     cancelled: $0.cancelled, open: $0.open, rateBp: $0.rateBasisPoints)
        }
    }

    private static func labels(_ db: Database, _ grouping: ConversionGrouping, keys: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        switch grouping {
        case .campaign:
            for key in keys { labels[key] = key.isEmpty ? "(no campaign)" : key }
        case .source:
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM source_name") { labels[String(row[0] as Int64)] = row[1] }
            labels["0"] = "(no source)"
        case .owner:
            let ids = keys.compactMap { Int64($0) }
            guard !ids.isEmpty else { break }
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM user_name WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(ids)) {
                labels[String(row[0] as Int64)] = row[1]
            }
            labels["0"] = "(no owner)"
        }
        return labels
    }

    static func workload(_ db: Database, unitIDs: [Int64], asOf: Int64) throws -> [ReportsV1.Workload] {
        var loads: [Int64: ReportsV1.Workload] = [:]
        var userSQL = "SELECT id, name, unit_id, active FROM user_name"
        var arguments = StatementArguments()
        if !unitIDs.isEmpty {
            userSQL += " WHERE unit_id IN (\(unitIDs.map { _ in "?" }.joined(separator: ",")))"
            arguments = StatementArguments(unitIDs)
        }
        var active: Set<Int64> = []
        for row in try Row.fetchAll(db, sql: userSQL, arguments: arguments) {
            loads[row[0]] = ReportsV1.Workload(userId: row[0], name: row[1], unitId: row[2])
            if row[3] as Bool { active.insert(row[0]) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT user_id, count FROM agg_open_leads") {
            loads[row[0]]?.openLeads = row[1]
        }
        // Overdue at `asOf`: whole days before its day from the cells, its own day from the rows.
        let day = Day.of(asOf)
        for row in try Row.fetchAll(db, sql: "SELECT user_id, SUM(count) FROM agg_open_due WHERE day < ? GROUP BY user_id", arguments: [day]) {
            loads[row[0]]?.overdueLeads = row[1]
        }
        // One day of rows: the plain index on the date, bounded on both sides (the partial index's
        // "> 0" would be taken as the lower bound and walk every overdue lead).
        for row in try Row.fetchAll(db, sql: """
            SELECT CASE WHEN assigned_user_id <> 0 THEN assigned_user_id ELSE owner_id END AS u, COUNT(*)
            FROM lead_row INDEXED BY lead_row_expected_completion_at
            WHERE expected_completion_at >= ? AND expected_completion_at < ? AND is_open GROUP BY u
            """, arguments: [max(1, day * Day.millis), asOf]) {
            loads[row[0]]?.overdueLeads += row[1]
        }
        for row in try Row.fetchAll(db, sql: "SELECT kind, key, SUM(open) FROM agg_work WHERE grouping = 'assignee' GROUP BY kind, key") {
            guard let user = Int64(row[1] as String), loads[user] != nil else { continue }
            switch WorkFacts.Kind(rawValue: row[0]) {
            case .activity: loads[user]!.openActivities = row[2]
            case .task: loads[user]!.openTasks = row[2]
            case .incident: loads[user]!.openIncidents = row[2]
            case nil: break
            }
        }
        // Deactivated users only while they still carry something.
        let list = loads.values.filter { active.contains($0.userId) || $0.openLeads + $0.openActivities + $0.openTasks + $0.openIncidents > 0 }
        return list.sorted {
            let a = $0.openLeads + $0.openActivities + $0.openTasks + $0.openIncidents, b = $1.openLeads + $1.openActivities + $1.openTasks + $1.openIncidents
            return a != b ? a > b : ($0.name, $0.userId) < ($1.name, $1.userId)
        }
    }

    static func work(_ db: Database, kind: WorkFacts.Kind, grouping: ReportsDomain.WorkGrouping, created: RpcV1.TimeRange?, now: Int64) throws -> [ReportsV1.WorkCount] {
        let from = created?.fromMs ?? 0, to = created?.toMs ?? 0
        let column = switch grouping {
        case .type: "CAST(type_id AS TEXT)"
        case .assignee: "CAST(assignee_id AS TEXT)"
        case .status: "status"
        case .priority: "priority"
        }
        var counts: [String: ReportsV1.WorkCount] = [:]
        var range = "", rangeArguments = StatementArguments()
        if from != 0 { range += " AND created_at >= ?"; rangeArguments += [from] }
        if to != 0 { range += " AND created_at < ?"; rangeArguments += [to] }
        if let span = Day.exactSpan(from: from, to: to) {
            var sql = "SELECT key, SUM(total), SUM(open) FROM agg_work WHERE kind = ? AND grouping = ?"
            var arguments: StatementArguments = [kind.rawValue, grouping.rawValue]
            if let first = span.first { sql += " AND day >= ?"; arguments += [first] }
            if let last = span.last { sql += " AND day <= ?"; arguments += [last] }
            for row in try Row.fetchAll(db, sql: sql + " GROUP BY key", arguments: arguments) {
                counts[row[0]] = ReportsV1.WorkCount(key: row[0], total: row[1], open: row[2])
            }
        } else {
            for row in try Row.fetchAll(db, sql: "SELECT \(column) AS k, COUNT(*), SUM(is_open) FROM work_item WHERE kind = ?\(range) GROUP BY k",
                                        arguments: [kind.rawValue] + rangeArguments) {
                counts[row[0]] = ReportsV1.WorkCount(key: row[0], total: row[1], open: row[2])
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT \(column) AS k, COUNT(*) FROM work_item WHERE kind = ? AND is_open AND due_at > 0 AND due_at < ?\(range) GROUP BY k",
                                    arguments: [kind.rawValue, now] + rangeArguments) {
            counts[row[0]]?.overdue = row[1]
        }
        var labels: [String: String] = [:]
        let table = grouping == .type ? "work_type_name" : grouping == .assignee ? "user_name" : nil
        if let table {
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM \(table)") { labels[String(row[0] as Int64)] = row[1] }
        }
        return counts.values.map { count in
            var count = count
            count.label = labels[count.key] ?? (count.key == "0" ? "(nobody)" : count.key.replacingOccurrences(of: "_", with: " "))
            return count
        }.sorted { $0.total != $1.total ? $0.total > $1.total : $0.key < $1.key }
    }
}
