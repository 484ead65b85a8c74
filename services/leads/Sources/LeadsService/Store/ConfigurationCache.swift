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

    /// A rule's changes move the generation too, but not its round-robin cursor
    /// (`last_user_id`), which moves with every lead the rule assigns.
    static func watchAssignmentRules(_ db: Database) throws {
        let columns = "name, position, condition, unit_id, user_id, round_robin, active, version"
        for (event, on) in [("insert", "INSERT"), ("update", "UPDATE OF \(columns)"), ("delete", "DELETE")] {
            try db.execute(sql: """
                CREATE TRIGGER assignment_rule_\(event)_bumps_generation AFTER \(on) ON assignment_rule
                BEGIN UPDATE config_generation SET value = random(); END
                """)
        }
    }

    /// The table and triggers that keep the generation.
    static func createTables(_ db: Database) throws {
        try db.create(table: "config_generation") { t in t.column("value", .integer).notNull() }
        try db.execute(sql: "INSERT INTO config_generation (value) VALUES (random())")
        for table in ["lead_status", "lead_type", "catalog_item", "level_label", "lead_definition", "custom_field"] {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_\(event.lowercased())_bumps_generation AFTER \(event) ON \(table)
                    BEGIN UPDATE config_generation SET value = random(); END
                    """)
            }
        }
    }
}
