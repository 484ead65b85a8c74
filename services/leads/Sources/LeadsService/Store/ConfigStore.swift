import LeadsDomain
import Foundation
import GRDB

/// The lead configuration in SQL. Lists of ids are JSON arrays: they are read and written whole.
enum ConfigStore {
    static func load(_ db: Database) throws -> LeadConfiguration {
        var c = LeadConfiguration()
        c.statuses = try Row.fetchAll(db, sql: "SELECT * FROM lead_status ORDER BY id").map {
            LeadStatusRecord(id: $0["id"], name: $0["name"], state: LifecycleState(rawValue: $0["state"]) ?? .pending,
                             description: $0["description"], active: $0["active"], version: $0["version"])
        }
        c.types = try Row.fetchAll(db, sql: "SELECT * FROM lead_type ORDER BY id").map {
            LeadTypeRecord(
                id: $0["id"], name: $0["name"], description: $0["description"], statusIDs: json($0["status_ids"]),
                initialStatusID: $0["initial_status_id"], transitions: json($0["transitions"]), categoryIDs: json($0["category_ids"]),
                defaultPriority: $0["default_priority"], defaultImportance: $0["default_importance"],
                estimatedCompletionMs: $0["estimated_completion_ms"], active: $0["active"], version: $0["version"])
        }
        c.catalog = try Row.fetchAll(db, sql: "SELECT * FROM catalog_item ORDER BY id").map {
            CatalogItemRecord(id: $0["id"], kind: CatalogKind(rawValue: $0["kind"]) ?? .category, name: $0["name"],
                              description: $0["description"], active: $0["active"], version: $0["version"])
        }
        let labels = try Row.fetchAll(db, sql: "SELECT * FROM level_label ORDER BY scale, level")
        c.priorityLabels = labels.filter { $0["scale"] == "priority" }.map { LevelLabel(level: $0["level"], label: $0["label"], supported: $0["supported"]) }
        c.importanceLabels = labels.filter { $0["scale"] == "importance" }.map { LevelLabel(level: $0["level"], label: $0["label"], supported: $0["supported"]) }
        c.definitions = try Row.fetchAll(db, sql: "SELECT * FROM lead_definition ORDER BY id").map {
            LeadDefinitionRecord(
                id: $0["id"], name: $0["name"], allowedTypeIDs: json($0["allowed_type_ids"]), defaultTypeID: $0["default_type_id"],
                convertOnWin: $0["convert_on_win"], createOpportunityOnWin: $0["create_opportunity_on_win"],
                defaultPriority: $0["default_priority"], defaultImportance: $0["default_importance"], duplicateFields: json($0["duplicate_fields"]),
                active: $0["active"], version: $0["version"])
        }
        c.customFields = try Row.fetchAll(db, sql: "SELECT * FROM custom_field ORDER BY id").map {
            CustomFieldRecord(
                id: $0["id"], key: $0["key"], label: $0["label"], type: CustomFieldType(rawValue: $0["type"]) ?? .text,
                choices: json($0["choices"]), required: $0["required"], leadTypeIDs: json($0["lead_type_ids"]),
                pattern: $0["pattern"], active: $0["active"], version: $0["version"])
        }
        return c
    }

    /// Writes `status`: a new row when its id is 0, else the existing row with its id (bumping the version).
    static func save(_ db: Database, _ s: LeadStatusRecord) throws -> Int64 {
        try upsert(db, table: "lead_status", id: s.id, columns: [
            "name": s.name, "state": s.state.rawValue, "description": s.description, "active": s.active,
        ])
    }

    static func save(_ db: Database, _ t: LeadTypeRecord) throws -> Int64 {
        try upsert(db, table: "lead_type", id: t.id, columns: [
            "name": t.name, "description": t.description, "status_ids": jsonText(t.statusIDs), "initial_status_id": t.initialStatusID,
            "transitions": jsonText(t.transitions), "category_ids": jsonText(t.categoryIDs), "default_priority": t.defaultPriority,
            "default_importance": t.defaultImportance, "estimated_completion_ms": t.estimatedCompletionMs, "active": t.active,
        ])
    }

    static func save(_ db: Database, _ i: CatalogItemRecord) throws -> Int64 {
        try upsert(db, table: "catalog_item", id: i.id, columns: [
            "kind": i.kind.rawValue, "name": i.name, "description": i.description, "active": i.active,
        ])
    }

    static func save(_ db: Database, _ d: LeadDefinitionRecord) throws -> Int64 {
        try upsert(db, table: "lead_definition", id: d.id, columns: [
            "name": d.name, "allowed_type_ids": jsonText(d.allowedTypeIDs), "default_type_id": d.defaultTypeID,
            "convert_on_win": d.convertOnWin, "create_opportunity_on_win": d.createOpportunityOnWin,
            "default_priority": d.defaultPriority, "default_importance": d.defaultImportance, "active": d.active,
            "duplicate_fields": jsonText(d.duplicateFields),
        ])
    }

    static func save(_ db: Database, _ f: CustomFieldRecord) throws -> Int64 {
        try upsert(db, table: "custom_field", id: f.id, columns: [
            "key": f.key, "label": f.label, "type": f.type.rawValue, "choices": jsonText(f.choices), "required": f.required,
            "lead_type_ids": jsonText(f.leadTypeIDs), "pattern": f.pattern, "active": f.active,
        ])
    }

    static func saveLabels(_ db: Database, priority: [LevelLabel], importance: [LevelLabel]) throws {
        try db.execute(sql: "DELETE FROM level_label")
        for (scale, labels) in [("priority", priority), ("importance", importance)] {
            for l in labels {
                try db.execute(sql: "INSERT INTO level_label (scale, level, label, supported) VALUES (?, ?, ?, ?)", arguments: [scale, l.level, l.label, l.supported])
            }
        }
    }

    /// Makes one definition the active one and every other inactive, bumping the versions of those that change.
    static func activate(_ db: Database, definitionID: Int64) throws {
        try db.execute(sql: "UPDATE lead_definition SET active = 0, version = version + 1 WHERE active AND id != ?", arguments: [definitionID])
        try db.execute(sql: "UPDATE lead_definition SET active = 1, version = version + 1 WHERE id = ? AND NOT active", arguments: [definitionID])
    }

    private static func insertWithID(_ db: Database, table: String, id: Int64, _ insert: () throws -> Int64) throws {
        let rowID = try insert()
        if rowID != id { try db.execute(sql: "UPDATE \(table) SET id = ? WHERE id = ?", arguments: [id, rowID]) }
    }

    /// Inserts (id 0) or updates an existing row, bumping its version; `table` and the column names are ours, never input.
    private static func upsert(_ db: Database, table: String, id: Int64, columns: [String: (any DatabaseValueConvertible)?]) throws -> Int64 {
        let names = columns.keys.sorted()
        let values = StatementArguments(names.map { columns[$0]! })
        if id == 0 {
            let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
            try db.execute(sql: "INSERT INTO \(table) (\(names.joined(separator: ", ")), version) VALUES (\(placeholders), 1)", arguments: values)
            return db.lastInsertedRowID
        }
        let assignments = names.map { "\($0) = ?" }.joined(separator: ", ")
        try db.execute(sql: "UPDATE \(table) SET \(assignments), version = version + 1 WHERE id = ?", arguments: values + [id])
        return id
    }

    static func isActiveDefinition(_ db: Database, id: Int64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT active FROM lead_definition WHERE id = ?", arguments: [id]) ?? false
    }

    static func version(_ db: Database, table: String, id: Int64) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT version FROM \(table) WHERE id = ?", arguments: [id])
    }
}

private func json<T: Decodable>(_ text: String) -> [T] {
    (try? JSONDecoder().decode([T].self, from: Data(text.utf8))) ?? []
}

private func jsonText<T: Encodable>(_ values: [T]) -> String {
    String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
}
