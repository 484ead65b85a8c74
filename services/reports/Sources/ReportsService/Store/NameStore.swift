import CRMDomain
import CRMService
import CRMWire
import GRDB

/// The names the rows show: users, units, statuses, types, source types and work types. A
/// rename rewrites the rows that show the old name (through the id indexes), so that a sort or
/// filter on a name sees the name as it is now.
enum NameStore {
    static func putUser(_ db: Database, _ user: LeadsV1.User) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO user_name (id, name, unit_id, active, role) VALUES (?, ?, ?, ?, ?)",
                       arguments: [user.id, user.name, user.unitId, user.active, (Role(user.role) ?? .agent).rawValue])
        try db.execute(sql: "UPDATE lead_row SET owner_name = ?1 WHERE owner_id = ?2 AND owner_name <> ?1", arguments: [user.name, user.id])
        try db.execute(sql: "UPDATE lead_row SET assigned_user_name = ?1 WHERE assigned_user_id = ?2 AND assigned_user_name <> ?1", arguments: [user.name, user.id])
    }

    /// The account as the leads feed last said: nil when the feed has not mentioned the user.
    static func account(_ db: Database, userID: Int64) throws -> (active: Bool, caller: Caller)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT active, role, unit_id FROM user_name WHERE id = ?", arguments: [userID]),
              let role = Role(rawValue: row[1]) else { return nil }
        return (row[0], Caller(userID: userID, role: role, unitID: row[2]))
    }

    static func putUnit(_ db: Database, _ unit: LeadsV1.Unit) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO unit_name (id, name) VALUES (?, ?)", arguments: [unit.id, unit.name])
        try db.execute(sql: "UPDATE lead_row SET assigned_unit_name = ?1 WHERE assigned_unit_id = ?2 AND assigned_unit_name <> ?1", arguments: [unit.name, unit.id])
    }

    /// The configuration as crm-leads answers it now: status, type and source names, and the custom fields' types.
    static func putConfiguration(_ db: Database, _ configuration: LeadsV1.Configuration) throws {
        for status in configuration.statuses {
            try db.execute(sql: "INSERT OR REPLACE INTO status_name (id, name, state) VALUES (?, ?, ?)", arguments: [status.id, status.name, status.state.protoValue])
            try db.execute(sql: "UPDATE lead_row SET status_name = ?1 WHERE status_id = ?2 AND status_name <> ?1", arguments: [status.name, status.id])
        }
        for type in configuration.types {
            try db.execute(sql: "INSERT OR REPLACE INTO type_name (id, name) VALUES (?, ?)", arguments: [type.id, type.name])
            try db.execute(sql: "UPDATE lead_row SET type_name = ?1 WHERE type_id = ?2 AND type_name <> ?1", arguments: [type.name, type.id])
        }
        for item in configuration.catalog where item.kind == .sourceType {
            try db.execute(sql: "INSERT OR REPLACE INTO source_name (id, name) VALUES (?, ?)", arguments: [item.id, item.name])
            try db.execute(sql: "UPDATE lead_row SET source_type = ?1 WHERE source_type_id = ?2 AND source_type <> ?1", arguments: [item.name, item.id])
        }
        try db.execute(sql: "DELETE FROM custom_field")
        for field in configuration.customFields {
            try db.execute(sql: "INSERT OR REPLACE INTO custom_field (key, type) VALUES (?, ?)", arguments: [field.key, field.type.reportName])
        }
    }

    static func putWorkTypes(_ db: Database, _ types: [ActivitiesV1.WorkType]) throws {
        for type in types {
            try db.execute(sql: "INSERT OR REPLACE INTO work_type_name (id, name) VALUES (?, ?)", arguments: [type.id, type.name])
        }
    }
}

extension LeadsV1.CustomFieldType {
    var reportName: String {
        switch self {
        case .text: "text"
        case .integer: "integer"
        case .decimal: "decimal"
        case .boolean: "boolean"
        case .date: "date"
        case .choice: "choice"
        default: "text"
        }
    }
}
