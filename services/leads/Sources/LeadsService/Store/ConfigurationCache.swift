import LeadsDomain
import GRDB
import Synchronization

/// The lead configuration and the assignment rules, read once and reused until they change.
/// Every write to a configuration table or a rule sets `config_generation` to a fresh random
/// value (triggers, migrations v5 and v9), so a changed generation means "read it again", and a
/// generation of a rolled-back change is never seen again.
final class ConfigurationCache: Sendable {
    /// A configuration and the assignment rules, and the generation they were read at.
    struct Snapshot: Sendable {
        let generation: Int64
        let configuration: LeadConfiguration
        /// In the order they are tried.
        let rules: [AssignmentRuleRecord]
    }

    private let cached = Mutex<Snapshot?>(nil)

    /// The configuration as `db` sees it.
    func load(_ db: Database) throws -> LeadConfiguration {
        try snapshot(db).configuration
    }

    /// The configuration as `db` sees it, with its generation.
    func snapshot(_ db: Database) throws -> Snapshot {
        let generation = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM config_generation")) ?? 0
        if let hit = cached.withLock({ $0 }), hit.generation == generation { return hit }
        let snapshot = Snapshot(generation: generation, configuration: try ConfigStore.load(db), rules: try AssignmentStore.rules(db))
        cached.withLock { $0 = snapshot }
        return snapshot
    }

    /// The configuration last read, which may since have changed: for work done before a write
    /// that the write checks again (by generation) before it relies on it.
    var latest: Snapshot? { cached.withLock { $0 } }

}
