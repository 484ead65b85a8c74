import LeadsDomain
import CRMDomain
import Foundation
import CRMService
import GRDB

/// Assignments and assignment rules in SQL.
enum AssignmentStore {
    static func record(_ db: Database, _ a: AssignmentRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO assignment (lead_id, from_unit_id, from_user_id, to_unit_id, to_user_id, assigned_by, rule_id, assigned_at, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [a.leadID, a.fromUnitID, a.fromUserID, a.toUnitID, a.toUserID, a.assignedBy, a.ruleID, a.assignedAt, a.note])
    }

    /// A page of a lead's assignments, newest first, and the cursor of the next.
    static func assignments(_ db: Database, leadID: Int64, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> ([AssignmentRecord], next: PageCursor?) {
        var query = ListQuery(table: "assignment", order: [], idDescending: true)
        query.require("lead_id = ?", [leadID])
        let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: 0) {
            AssignmentRecord(
                id: $0["id"], leadID: $0["lead_id"], fromUnitID: $0["from_unit_id"], fromUserID: $0["from_user_id"], toUnitID: $0["to_unit_id"],
                toUserID: $0["to_user_id"], assignedBy: $0["assigned_by"], ruleID: $0["rule_id"], assignedAt: $0["assigned_at"], note: $0["note"])
        }
        return (page.records, page.next)
    }

    static func rules(_ db: Database) throws -> [AssignmentRuleRecord] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM assignment_rule ORDER BY position, id")).map {
            AssignmentRuleRecord(
                id: $0["id"], name: $0["name"], position: $0["position"],
                condition: (try? JSONDecoder().decode(RuleCondition.self, from: Data(($0["condition"] as String).utf8))) ?? RuleCondition(),
                unitID: $0["unit_id"], userID: $0["user_id"], roundRobin: $0["round_robin"], active: $0["active"], version: $0["version"])
        }
    }

    /// Stores a rule at its position: 0 puts it after the last; a position another rule holds
    /// moves that rule and the ones after it down one, so that no two rules share a position
    /// (the order they are tried in is always the one shown).
    static func save(_ db: Database, _ given: AssignmentRuleRecord) throws -> Int64 {
        var rule = given
        if rule.position == 0 {
            rule.position = (try Int32.fetchOne(db, sql: "SELECT MAX(position) FROM assignment_rule WHERE id != ?", arguments: [rule.id]) ?? 0) + 1
        } else if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM assignment_rule WHERE position = ? AND id != ?)", arguments: [rule.position, rule.id]) == true {
            try db.execute(sql: "UPDATE assignment_rule SET position = position + 1, version = version + 1 WHERE position >= ? AND id != ?", arguments: [rule.position, rule.id])
        }
        let condition = String(decoding: try JSONEncoder().encode(rule.condition), as: UTF8.self)
        if rule.id == 0 {
            try db.execute(
                sql: "INSERT INTO assignment_rule (name, position, condition, unit_id, user_id, round_robin, active, version, last_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0)",
                arguments: [rule.name, rule.position, condition, rule.unitID, rule.userID, rule.roundRobin, rule.active])
            return db.lastInsertedRowID
        }
        try db.execute(
            sql: "UPDATE assignment_rule SET name = ?, position = ?, condition = ?, unit_id = ?, user_id = ?, round_robin = ?, active = ?, version = version + 1 WHERE id = ? AND version = ?",
            arguments: [rule.name, rule.position, condition, rule.unitID, rule.userID, rule.roundRobin, rule.active, rule.id, rule.version])
        guard db.changesCount == 1 else { throw DomainError.stale("assignment rule \(rule.id) changed meanwhile, or does not exist: read it again") }
        return rule.id
    }

    static func delete(_ db: Database, id: Int64, version: Int64) throws {
        try db.execute(sql: "DELETE FROM assignment_rule WHERE id = ? AND version = ?", arguments: [id, version])
        guard db.changesCount == 1 else { throw DomainError.stale("assignment rule \(id) changed meanwhile, or does not exist: read it again") }
    }

    /// The next active agent of `unitID` after the rule's cursor (by id, wrapping), and moves the cursor.
    static func nextRoundRobin(_ db: Database, ruleID: Int64, unitID: Int64) throws -> Int64? {
        let last = try Int64.fetchOne(db, sql: "SELECT last_user_id FROM assignment_rule WHERE id = ?", arguments: [ruleID]) ?? 0
        let agents = try Int64.fetchAll(db, sql: "SELECT id FROM user WHERE unit_id = ? AND active AND role = 'agent' ORDER BY id", arguments: [unitID])
        guard let next = agents.first(where: { $0 > last }) ?? agents.first else { return nil }
        try db.execute(sql: "UPDATE assignment_rule SET last_user_id = ? WHERE id = ?", arguments: [next, ruleID])
        return next
    }
}
