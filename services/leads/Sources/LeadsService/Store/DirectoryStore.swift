import LeadsDomain
import CRMDomain
import CRMService
import GRDB

/// Users and units in SQL. Every function runs inside the caller's transaction.
enum DirectoryStore {
    // MARK: users

    static func user(_ db: Database, id: Int64) throws -> UserRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM user WHERE id = ?"), arguments: [id]).map(UserRecord.init(row:))
    }

    static func user(_ db: Database, login: String) throws -> (UserRecord, passwordHash: String)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM user WHERE login = ?", arguments: [login.lowercased()]) else { return nil }
        return (UserRecord(row: row), row["password_hash"])
    }

    /// The users of `caller`'s unit, when what they see depends on it (a unit manager); else none.
    static func unitMembers(_ db: Database, of caller: Caller) throws -> Set<Int64> {
        guard LeadAccess.needsUnitMembers(caller) else { return [] }
        return Set(try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM user WHERE unit_id = ?"), arguments: [caller.unitID]))
    }

    static func passwordHash(_ db: Database, userID: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT password_hash FROM user WHERE id = ?", arguments: [userID])
    }

    /// Every user's login by id, and unit's name by id: the names imports and exports show.
    static func names(_ db: Database) throws -> (logins: [Int64: String], units: [Int64: String]) {
        let logins = try Row.fetchAll(db, sql: "SELECT id, login FROM user").map { ($0["id"] as Int64, $0["login"] as String) }
        let units = try Row.fetchAll(db, sql: "SELECT id, name FROM unit").map { ($0["id"] as Int64, $0["name"] as String) }
        return (Dictionary(uniqueKeysWithValues: logins), Dictionary(uniqueKeysWithValues: units))
    }

    static func userCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user") ?? 0
    }

    static func insert(_ db: Database, user: UserRecord, passwordHash: String, now: Int64) throws -> UserRecord {
        try requireUnique(db, login: user.login, except: 0)
        try requireUnit(db, user.unitID, field: "user.unit_id")
        try db.execute(
            sql: """
                INSERT INTO user (login, name, email, role, unit_id, active, password_hash, version, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                """,
            arguments: [user.login, user.name, user.email, user.role.rawValue, nullable(user.unitID), user.active, passwordHash, now, now])
        return try self.user(db, id: db.lastInsertedRowID)!
    }

    static func update(_ db: Database, user: UserRecord, expectedVersion: Int64, now: Int64) throws -> UserRecord {
        guard let current = try self.user(db, id: user.id) else { throw DomainError.notFound("no user with id \(user.id)") }
        guard current.version == expectedVersion else {
            throw DomainError.stale("user \(user.id) is at version \(current.version), not \(expectedVersion): read it again")
        }
        try requireUnique(db, login: user.login, except: user.id)
        try requireUnit(db, user.unitID, field: "user.unit_id")
        try db.execute(
            sql: """
                UPDATE user SET login = ?, name = ?, email = ?, role = ?, unit_id = ?, active = ?, version = version + 1, updated_at = ?
                WHERE id = ?
                """,
            arguments: [user.login, user.name, user.email, user.role.rawValue, nullable(user.unitID), user.active, now, user.id])
        return try self.user(db, id: user.id)!
    }

    static func setPasswordHash(_ db: Database, userID: Int64, hash: String, now: Int64) throws {
        try db.execute(sql: "UPDATE user SET password_hash = ?, updated_at = ? WHERE id = ?", arguments: [hash, now, userID])
    }

    struct UserFilter: Sendable {
        var unitID: Int64 = 0
        var role: Role? = nil
        var activeOnly = false
        var text = ""
    }

    /// A page of the users `filter` matches, by name, and the cursor of the next.
    static func users(_ db: Database, filter: UserFilter, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> ([UserRecord], next: PageCursor?) {
        var query = ListQuery(table: "user", order: [(byName, false)])
        if filter.unitID != 0 { query.require("unit_id = ?", [filter.unitID]) }
        if let role = filter.role { query.require("role = ?", [role.rawValue]) }
        if filter.activeOnly { query.require("active") }
        if !filter.text.isEmpty {
            let pattern = "%" + likeEscaped(filter.text) + "%"
            query.require("login LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'", [pattern, pattern, pattern])
        }
        let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: 0, record: UserRecord.init(row:))
        return (page.records, page.next)
    }

    /// Users and units are listed by name, as a person looks for them.
    private static let byName = ListQuery.SortColumn("name", text: true, collation: "NOCASE")

    // MARK: units

    static func unit(_ db: Database, id: Int64) throws -> UnitRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM unit WHERE id = ?"), arguments: [id]).map(UnitRecord.init(row:))
    }

    static func insert(_ db: Database, unit: UnitRecord, now: Int64) throws -> UnitRecord {
        try requireUnique(db, unitName: unit.name, except: 0)
        try requireUser(db, unit.managerID, field: "unit.manager_id")
        try db.execute(
            sql: "INSERT INTO unit (name, kind, manager_id, active, version, created_at) VALUES (?, ?, ?, ?, 1, ?)",
            arguments: [unit.name, unit.kind.rawValue, nullable(unit.managerID), unit.active, now])
        return try self.unit(db, id: db.lastInsertedRowID)!
    }

    static func update(_ db: Database, unit: UnitRecord, expectedVersion: Int64) throws -> UnitRecord {
        guard let current = try self.unit(db, id: unit.id) else { throw DomainError.notFound("no unit with id \(unit.id)") }
        guard current.version == expectedVersion else {
            throw DomainError.stale("unit \(unit.id) is at version \(current.version), not \(expectedVersion): read it again")
        }
        try requireUnique(db, unitName: unit.name, except: unit.id)
        try requireUser(db, unit.managerID, field: "unit.manager_id")
        try db.execute(
            sql: "UPDATE unit SET name = ?, kind = ?, manager_id = ?, active = ?, version = version + 1 WHERE id = ?",
            arguments: [unit.name, unit.kind.rawValue, nullable(unit.managerID), unit.active, unit.id])
        return try self.unit(db, id: unit.id)!
    }

    /// A page of the units of `kind` (any kind: nil), by name, and the cursor of the next.
    static func units(_ db: Database, kind: UnitKind?, activeOnly: Bool, after cursor: PageCursor?, limit: Int, fingerprint: String) throws -> ([UnitRecord], next: PageCursor?) {
        var query = ListQuery(table: "unit", order: [(byName, false)])
        if let kind { query.require("kind = ?", [kind.rawValue]) }
        if activeOnly { query.require("active") }
        let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: 0, record: UnitRecord.init(row:))
        return (page.records, page.next)
    }

    // MARK: checks

    private static func requireUnique(_ db: Database, login: String, except id: Int64) throws {
        if let other = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE login = ? AND id != ?", arguments: [login, id]) {
            throw DomainError.alreadyExists("the login \(login) is taken by user \(other)", existing: [Existing("user", id: other, field: "user.login", value: login)])
        }
    }

    private static func requireUnique(_ db: Database, unitName: String, except id: Int64) throws {
        if let other = try Int64.fetchOne(db, sql: "SELECT id FROM unit WHERE name = ? COLLATE NOCASE AND id != ?", arguments: [unitName, id]) {
            throw DomainError.alreadyExists("the unit name \(unitName) is taken by unit \(other)", existing: [Existing("unit", id: other, field: "unit.name", value: unitName)])
        }
    }

    private static func requireUnit(_ db: Database, _ id: Int64, field: String) throws {
        guard id != 0 else { return }
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM unit WHERE id = ?)", arguments: [id]) == true else {
            throw DomainError.invalid([Violation(field, "names no unit (\(id))")])
        }
    }

    private static func requireUser(_ db: Database, _ id: Int64, field: String) throws {
        guard id != 0 else { return }
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE id = ?)", arguments: [id]) == true else {
            throw DomainError.invalid([Violation(field, "names no user (\(id))")])
        }
    }
}

/// 0 means "none" in the domain and NULL in the database.
func nullable(_ id: Int64) -> Int64? { id == 0 ? nil : id }

/// Escapes LIKE's wildcards so user text matches literally.
func likeEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
}

extension UserRecord {
    init(row: Row) {
        self.init(
            id: row["id"], login: row["login"], name: row["name"], email: row["email"],
            role: Role(rawValue: row["role"]) ?? .agent, unitID: row["unit_id"] ?? 0, active: row["active"],
            version: row["version"], createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}

extension UnitRecord {
    init(row: Row) {
        self.init(
            id: row["id"], name: row["name"], kind: UnitKind(rawValue: row["kind"]) ?? .team, managerID: row["manager_id"] ?? 0,
            active: row["active"], version: row["version"], createdAt: row["created_at"])
    }
}
