import CRMWire
import GRDB
import ReportsDomain

/// Applies the source feeds' events to the read model, in the caller's transaction, with the
/// feed's cursor: an event at or below the cursor was applied already and is skipped, so a
/// batch read again after a crash or a reconnect changes nothing twice.
enum ReadModel {
    /// Applies crm-leads events (in sequence order). `configuration` is the configuration read
    /// for this batch when it holds a CONFIGURATION_CHANGED event.
    static func applyLeads(_ db: Database, _ events: [LeadsV1.LeadEvent], head: Int64, configuration: LeadsV1.Configuration?, now: Int64) throws {
        var applied = try FeedCursorStore.applied(db, FeedCursorStore.leads)
        for event in events where event.sequence > applied {
            switch event.type {
            case .created, .updated, .merged:
                if let lead = event.lead { try LeadRowStore.put(db, lead) }
            case .deleted:
                try LeadRowStore.remove(db, id: event.entityId)
            case .userChanged:
                if let user = event.user { try NameStore.putUser(db, user) }
            case .unitChanged:
                if let unit = event.unit { try NameStore.putUnit(db, unit) }
            case .configurationChanged:
                if let configuration { try NameStore.putConfiguration(db, configuration) }
            default:
                break
            }
            applied = event.sequence
        }
        try FeedCursorStore.advance(db, FeedCursorStore.leads, to: applied, head: head, at: now)
    }

    /// Applies crm-activities events (in sequence order).
    static func applyActivities(_ db: Database, _ events: [ActivitiesV1.ActivityEvent], head: Int64, now: Int64) throws {
        var applied = try FeedCursorStore.applied(db, FeedCursorStore.activities)
        for event in events where event.sequence > applied {
            switch (event.type, event.snapshot) {
            case (.deleted, _):
                if let kind = event.entity.flatMap({ WorkFacts.Kind($0.kind) }) { try WorkItemStore.remove(db, kind: kind, id: event.entity?.id ?? 0) }
            case (_, .activity(let activity)?): try WorkItemStore.put(db, WorkItemStore.Item(activity))
            case (_, .task(let task)?): try WorkItemStore.put(db, WorkItemStore.Item(task))
            case (_, .incident(let incident)?): try WorkItemStore.put(db, WorkItemStore.Item(incident))
            default: break  // links change nothing the reports show
            }
            applied = event.sequence
        }
        try FeedCursorStore.advance(db, FeedCursorStore.activities, to: applied, head: head, at: now)
    }
}

extension ReadModel {
    /// Refreshes the query planner's statistics (sampled: a thousand rows per index), so that a
    /// page filtered on one column and sorted on another walks the index that finds its rows
    /// soonest instead of sorting every match. Run after the model grew by many rows.
    static func refreshStatistics(_ db: Database) throws {
        try db.execute(sql: "PRAGMA analysis_limit = 1000")
        try db.execute(sql: "ANALYZE")
    }

    /// Rows applied between two refreshes of the statistics.
    static let statisticsInterval = 50_000
}

extension WorkFacts.Kind {
    init?(_ kind: RpcV1.EntityKind) {
        switch kind {
        case .activity: self = .activity
        case .task: self = .task
        case .incident: self = .incident
        default: return nil
        }
    }
}
