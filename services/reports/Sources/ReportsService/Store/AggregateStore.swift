import CRMDomain
import GRDB
import ReportsDomain

/// Writes the maintained aggregates' cells: each change adds its contribution with an upsert
/// and drops the cells that fall to nothing, so the tables only ever hold groups that exist.
enum AggregateStore {
    static func apply(_ db: Database, _ changes: [Contribution]) throws {
        for change in changes {
            switch change.cell {
            case .typeStatus(let type, let status):
                try db.execute(sql: """
                    INSERT INTO agg_type_status (type_id, status_id, count) VALUES (?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """, arguments: [type, status, change.count])
                try db.execute(sql: "DELETE FROM agg_type_status WHERE type_id = ? AND status_id = ? AND count = 0", arguments: [type, status])
            case .pipeline(let state, let currency):
                try db.execute(sql: """
                    INSERT INTO agg_pipeline (state, currency, count, amount, weighted) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount, weighted = weighted + excluded.weighted
                    """, arguments: [state.protoValue, currency, change.count, change.amountMinor, change.weightedMinor])
                try db.execute(sql: "DELETE FROM agg_pipeline WHERE state = ? AND currency = ? AND count = 0", arguments: [state.protoValue, currency])
            case .conversion(let grouping, let key, let day, let state):
                try db.execute(sql: """
                    INSERT INTO agg_conversion (grouping, key, day, state, count) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """, arguments: [grouping.rawValue, key, day, state.protoValue, change.count])
                try db.execute(sql: "DELETE FROM agg_conversion WHERE grouping = ? AND key = ? AND day = ? AND state = ? AND count = 0",
                               arguments: [grouping.rawValue, key, day, state.protoValue])
            case .openLeads(let user):
                try db.execute(sql: """
                    INSERT INTO agg_open_leads (user_id, count) VALUES (?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """, arguments: [user, change.count])
                try db.execute(sql: "DELETE FROM agg_open_leads WHERE user_id = ? AND count = 0", arguments: [user])
            case .work(let kind, let grouping, let key, let day):
                try db.execute(sql: """
                    INSERT INTO agg_work (kind, grouping, key, day, total, open) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET total = total + excluded.total, open = open + excluded.open
                    """, arguments: [kind.rawValue, grouping.rawValue, key, day, change.count, change.open])
                try db.execute(sql: "DELETE FROM agg_work WHERE kind = ? AND grouping = ? AND key = ? AND day = ? AND total = 0",
                               arguments: [kind.rawValue, grouping.rawValue, key, day])
            }
        }
    }
}
