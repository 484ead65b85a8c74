import CRMDomain

/// A person or service that signs in.
public struct UserRecord: Sendable, Hashable {
    public var id: Int64
    public var login: String
    public var name: String
    public var email: String
    public var role: Role
    /// 0 for none.
    public var unitID: Int64
    public var active: Bool
    public var version: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: Int64 = 0, login: String, name: String, email: String, role: Role, unitID: Int64, active: Bool, version: Int64 = 1, createdAt: Int64 = 0, updatedAt: Int64 = 0) {
        self.id = id
        self.login = login
        self.name = name
        self.email = email
        self.role = role
        self.unitID = unitID
        self.active = active
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var caller: Caller { Caller(userID: id, role: role, unitID: unitID) }
}

/// Whether a unit is a team of agents or a sales channel.
public enum UnitKind: String, Sendable, Hashable, CaseIterable {
    case team
    case channel
}

/// A team or channel, with its manager.
public struct UnitRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var kind: UnitKind
    /// 0 for none.
    public var managerID: Int64
    public var active: Bool
    public var version: Int64
    public var createdAt: Int64

    public init(id: Int64 = 0, name: String, kind: UnitKind, managerID: Int64, active: Bool, version: Int64 = 1, createdAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.kind = kind
        self.managerID = managerID
        self.active = active
        self.version = version
        self.createdAt = createdAt
    }
}

/// The rules for users and units that need no database.
public enum DirectoryRules {
    /// Checks and normalises a user's fields; `prefix` is the request path, such as "user".
    public static func normalised(_ user: UserRecord, prefix: String, into violations: inout Violations) -> UserRecord {
        var user = user
        user.login = user.login.lowercased()
        let loginOK = (3...64).contains(user.login.count)
            && user.login.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-" }
        if !loginOK { violations.add("\(prefix).login", "must be 3-64 characters of a-z, 0-9, '.', '_' and '-'") }
        user.name = TextRules.collapsed(user.name)
        TextRules.check(user.name, field: "\(prefix).name", required: true, max: 200, into: &violations)
        user.email = user.email.trimmingSpaces.lowercased()
        if !EmailRules.isValid(user.email) { violations.add("\(prefix).email", "must be an e-mail address such as ana@example.com") }
        if user.unitID < 0 { violations.add("\(prefix).unit_id", "must be a unit's id, or 0 for none") }
        return user
    }

    public static func normalised(_ unit: UnitRecord, prefix: String, into violations: inout Violations) -> UnitRecord {
        var unit = unit
        unit.name = TextRules.collapsed(unit.name)
        TextRules.check(unit.name, field: "\(prefix).name", required: true, max: 200, into: &violations)
        if unit.managerID < 0 { violations.add("\(prefix).manager_id", "must be a user's id, or 0 for none") }
        return unit
    }

    /// Only admins change users and units.
    public static func requireAdmin(_ caller: Caller) throws(DomainError) {
        guard caller.role == .admin else { throw DomainError.permissionDenied("only an admin may change users and units") }
    }
}
