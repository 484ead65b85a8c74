import LeadsDomain
import CRMDomain
import CRMWire

// Users and units between the wire (LeadsV1) and the domain.

extension UnitKind {
    init?(_ wire: LeadsV1.UnitKind) {
        switch wire {
        case .team: self = .team
        case .channel: self = .channel
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: LeadsV1.UnitKind { self == .team ? .team : .channel }
}

extension UserRecord {
    var wire: LeadsV1.User {
        LeadsV1.User(
            id: id, login: login, name: name, email: email, role: role.wire, unitId: unitID, active: active,
            version: version, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// The input's fields named in `mask` (every field when empty) laid over `self`.
    func applying(_ input: LeadsV1.UserInput, mask: [String], prefix: String, into violations: inout Violations) -> UserRecord {
        var user = self
        let fields = mask.isEmpty ? ["login", "name", "email", "role", "unit_id", "active"] : mask
        for field in fields {
            switch field {
            case "login": user.login = input.login
            case "name": user.name = input.name
            case "email": user.email = input.email
            case "role":
                if let role = Role(input.role) { user.role = role } else { violations.add("\(prefix).role", "must be one of ROLE_ADMIN, ROLE_SALES_MANAGER, ROLE_UNIT_MANAGER, ROLE_AGENT, ROLE_SERVICE") }
            case "unit_id": user.unitID = input.unitId
            case "active": user.active = input.active
            default: violations.add("update_mask", "names no field of UserInput: \(field)")
            }
        }
        return user
    }
}

extension UnitRecord {
    var wire: LeadsV1.Unit {
        LeadsV1.Unit(id: id, name: name, kind: kind.wire, managerId: managerID, active: active, version: version, createdAt: createdAt)
    }

    func applying(_ input: LeadsV1.UnitInput, mask: [String], prefix: String, into violations: inout Violations) -> UnitRecord {
        var unit = self
        let fields = mask.isEmpty ? ["name", "kind", "manager_id", "active"] : mask
        for field in fields {
            switch field {
            case "name": unit.name = input.name
            case "kind":
                if let kind = UnitKind(input.kind) { unit.kind = kind } else { violations.add("\(prefix).kind", "must be UNIT_KIND_TEAM or UNIT_KIND_CHANNEL") }
            case "manager_id": unit.managerID = input.managerId
            case "active": unit.active = input.active
            default: violations.add("update_mask", "names no field of UnitInput: \(field)")
            }
        }
        return unit
    }
}

extension LeadsV1.LeadEvent {
    /// The feed event for a changed user.
    static func userChanged(_ user: UserRecord, actor: Int64, at: Int64) -> LeadsV1.LeadEvent {
        LeadsV1.LeadEvent(type: .userChanged, entityId: user.id, at: at, actorId: actor, user: user.wire)
    }

    /// The feed event for a changed unit.
    static func unitChanged(_ unit: UnitRecord, actor: Int64, at: Int64) -> LeadsV1.LeadEvent {
        LeadsV1.LeadEvent(type: .unitChanged, entityId: unit.id, at: at, actorId: actor, unit: unit.wire)
    }
}
