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
                try db.cachedStatement(sql: """
                    INSERT INTO agg_type_status (type_id, status_id, count) VALUES (?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """).execute(arguments: [type, status, change.count])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_type_status WHERE type_id = ? AND status_id = ? AND count = 0").execute(arguments: [type, status]) }
            case .pipeline(let state, let currency):
                try db.cachedStatement(sql: """
                    INSERT INTO agg_pipeline (state, currency, count, amount, weighted) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount, weighted = weighted + excluded.weighted
                    """).execute(arguments: [state.protoValue, currency, change.count, change.amountMinor, change.weightedMinor])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_pipeline WHERE state = ? AND currency = ? AND count = 0").execute(arguments: [state.protoValue, currency]) }
            case .conversion(let grouping, let key, let day, let state):
                try db.cachedStatement(sql: """
                    INSERT INTO agg_conversion (grouping, key, day, state, count) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """).execute(arguments: [grouping.rawValue, key, day, state.protoValue, change.count])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_conversion WHERE grouping = ? AND key = ? AND day = ? AND state = ? AND count = 0").execute(arguments: [grouping.rawValue, key, day, state.protoValue]) }
            case .openLeads(let user):
                try db.cachedStatement(sql: """
                    INSERT INTO agg_open_leads (user_id, count) VALUES (?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """).execute(arguments: [user, change.count])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_open_leads WHERE user_id = ? AND count = 0").execute(arguments: [user]) }
            case .openDue(let user, let day):
                try db.cachedStatement(sql: """
                    INSERT INTO agg_open_due (user_id, day, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count
                    """).execute(arguments: [user, day, change.count])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_open_due WHERE user_id = ? AND day = ? AND count = 0").execute(arguments: [user, day]) }
            case .work(let kind, let grouping, let key, let day):
                try db.cachedStatement(sql: """
                    INSERT INTO agg_work (kind, grouping, key, day, total, open) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET total = total + excluded.total, open = open + excluded.open
                    """).execute(arguments: [kind.rawValue, grouping.rawValue, key, day, change.count, change.open])
                if change.count < 0 { try db.cachedStatement(sql: "DELETE FROM agg_work WHERE kind = ? AND grouping = ? AND key = ? AND day = ? AND total = 0").execute(arguments: [kind.rawValue, grouping.rawValue, key, day]) }
            }
        }
    }
}
