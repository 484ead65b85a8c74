import ActivitiesDomain
import CRMDomain
import GRDB

enum WorkTypeStore {
    static func record(_ row: Row) -> WorkTypeRecord {
        WorkTypeRecord(
            id: row["id"], scope: TypeScope(rawValue: row["scope"]) ?? .activity, name: row["name"],
            activityKind: (row["activity_kind"] as String?).flatMap(ActivityKind.init(rawValue:)),
            active: row["active"], version: row["version"])
    }

    static func type(_ db: Database, id: Int64) throws -> WorkTypeRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM work_type WHERE id = ?", arguments: [id]).map(record)
    }

    static func types(_ db: Database, scope: TypeScope?, activeOnly: Bool) throws -> [WorkTypeRecord] {
        var sql = "SELECT * FROM work_type WHERE 1"
        var arguments = StatementArguments()
        if let scope { sql += " AND scope = ?"; arguments += [scope.rawValue] }
        if activeOnly { sql += " AND active" }
        return try Row.fetchAll(db, sql: sql + " ORDER BY name, id", arguments: arguments).map(record)
    }

    /// Inserts (id 0) or updates a type; ALREADY_EXISTS for a name taken in its list.
    static func save(_ db: Database, _ type: WorkTypeRecord) throws -> WorkTypeRecord {
        if let other = try Int64.fetchOne(db, sql: "SELECT id FROM work_type WHERE scope = ? AND name = ? AND id != ?", arguments: [type.scope.rawValue, type.name, type.id]) {
            throw DomainError.alreadyExists("a \(type.scope.rawValue) type named \"\(type.name)\" already exists (type \(other))", existing: [Existing("work_type", id: other, field: "type.name", value: type.name)])
        }
        var saved = type
        if type.id == 0 {
            saved.version = 1
            try db.execute(sql: "INSERT INTO work_type (scope, name, activity_kind, active, version) VALUES (?, ?, ?, ?, 1)",
                           arguments: [type.scope.rawValue, type.name, type.activityKind?.rawValue, type.active])
            saved.id = db.lastInsertedRowID
            return saved
        }
        guard let current = try self.type(db, id: type.id) else { throw DomainError.notFound("no work type with id \(type.id)") }
        try WorkRules.requireVersion(type.version, current: current.version, what: "work type \(type.id)")
        guard current.scope == type.scope else {
            throw DomainError.invalid([Violation("work_type.scope", "cannot change (type \(type.id) is a \(current.scope.rawValue) type)")])
        }
        if current.scope == .activity && current.activityKind != type.activityKind, try isUsed(db, current) {
            throw DomainError.failedPrecondition("work type \(type.id) is in use, so its kind cannot change; retire it and create another")
        }
        saved.version = current.version + 1
        try db.execute(sql: "UPDATE work_type SET name = ?, activity_kind = ?, active = ?, version = ? WHERE id = ?",
                       arguments: [type.name, type.activityKind?.rawValue, type.active, saved.version, type.id])
        return saved
    }

    static func isUsed(_ db: Database, _ type: WorkTypeRecord) throws -> Bool {
        let table = switch type.scope {
        case .activity: "activity"
        case .task: "task"
        case .incident: "incident"
        }
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE type_id = ?)", arguments: [type.id]) ?? false
    }

    /// The active type `id` of `scope`, or a violation of `field`.
    static func usable(_ db: Database, id: Int64, scope: TypeScope, field: String) throws -> WorkTypeRecord {
        guard let type = try type(db, id: id), type.scope == scope else {
            throw DomainError.invalid([Violation(field, "names no \(scope.rawValue) type (\(id))")])
        }
        guard type.active else {
            throw DomainError.invalid([Violation(field, "names a retired type (\(type.name)); pick an active one")])
        }
        return type
    }
}
