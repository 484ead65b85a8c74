import CRMDomain
import CRMWire
import Foundation
import GRDB
import ReportsDomain

/// The lead rows of the read model: each lead as its latest event shows it, with the names of
/// its owner, assignee, unit, type, status and source resolved, kept in step with the full-text
/// index and the maintained aggregates in the same transaction.
enum LeadRowStore {
    /// Stores the lead as `lead` shows it (a merged lead leaves the reports, as it leaves crm-leads' lists).
    static func put(_ db: Database, _ lead: LeadsV1.Lead) throws {
        guard lead.mergedIntoId == 0 else { return try remove(db, id: lead.id) }
        let old = try stored(db, id: lead.id)
        let facts = LeadFacts(lead)
        let emails = lead.emails.joined(separator: " "), phones = lead.phones.joined(separator: " ")
        let openWork = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM work_item WHERE lead_id = ? AND is_open AND kind IN ('activity', 'task')"), arguments: [lead.id]) ?? 0
        let values: [any DatabaseValueConvertible] = [
            lead.id, lead.fullName, lead.company, lead.emails.first ?? "", lead.phones.first ?? "", emails, phones,
            lead.country, lead.region, lead.province, lead.postalCode, lead.locale, lead.campaign, lead.channel,
            lead.sourceTypeId, lead.sourceTypeId, lead.typeId, lead.typeId, lead.categoryId, lead.statusId, lead.statusId,
            lead.state.protoValue, facts.state.isOpen, lead.priority, lead.importance, lead.probability,
            lead.targetAmount?.amountMinor ?? 0, lead.targetAmount?.currency ?? "",
            lead.ownerId, lead.ownerId, lead.assignedUnitId, lead.assignedUnitId, lead.assignedUserId, lead.assignedUserId,
            lead.contactOn, lead.expectedCompletionAt, lead.completedAt, lead.conversion != nil, lead.imported, openWork,
            lead.createdAt, lead.updatedAt, CustomFieldsJSON.encode(lead.customFields),
        ]
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO lead_row (
              id, full_name, company, email, phone, emails, phones, country, region, province, postal_code, locale, campaign, channel,
              source_type_id, source_type, type_id, type_name, category_id, status_id, status_name, state, is_open,
              priority, importance, probability, target_amount, currency,
              owner_id, owner_name, assigned_unit_id, assigned_unit_name, assigned_user_id, assigned_user_name,
              contact_on, expected_completion_at, completed_at, converted, imported, open_work, created_at, updated_at, custom_fields)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
              ?, COALESCE((SELECT name FROM source_name WHERE id = ?), ''), ?, COALESCE((SELECT name FROM type_name WHERE id = ?), ''), ?,
              ?, COALESCE((SELECT name FROM status_name WHERE id = ?), ''), ?, ?, ?, ?, ?, ?, ?,
              ?, COALESCE((SELECT name FROM user_name WHERE id = ?), ''), ?, COALESCE((SELECT name FROM unit_name WHERE id = ?), ''),
              ?, COALESCE((SELECT name FROM user_name WHERE id = ?), ''),
              ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: StatementArguments(values))
        if let old { try deleteText(db, id: lead.id, old.text) }
        try db.cachedStatement(sql: "INSERT INTO lead_text(rowid, full_name, company, emails, phones) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [lead.id, lead.fullName, lead.company, emails, phones])
        try AggregateStore.apply(db, Contribution.changes(from: old.map { Contribution.of($0.facts) } ?? [], to: Contribution.of(facts)))
    }

    /// Takes a deleted (or merged) lead out of the rows, the text index and the aggregates.
    static func remove(_ db: Database, id: Int64) throws {
        guard let old = try stored(db, id: id) else { return }
        try db.cachedStatement(sql: "DELETE FROM lead_row WHERE id = ?").execute(arguments: [id])
        try deleteText(db, id: id, old.text)
        try AggregateStore.apply(db, Contribution.changes(from: Contribution.of(old.facts), to: []))
    }

    /// Recounts a lead's open activities and tasks (after a work item changed).
    static func recountOpenWork(_ db: Database, leadID: Int64) throws {
        guard leadID != 0 else { return }
        try db.cachedStatement(sql: """
            UPDATE lead_row SET open_work = (SELECT COUNT(*) FROM work_item WHERE lead_id = ?1 AND is_open AND kind IN ('activity', 'task'))
            WHERE id = ?1
            """).execute(arguments: [leadID])
    }

    private struct Stored {
        var facts: LeadFacts
        var text: [String]
    }

    private static func stored(_ db: Database, id: Int64) throws -> Stored? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT type_id, status_id, state, target_amount, currency, probability, source_type_id, campaign, owner_id, assigned_user_id,
                   created_at, full_name, company, emails, phones, expected_completion_at
            FROM lead_row WHERE id = ?
            """), arguments: [id]) else { return nil }
        let facts = LeadFacts(typeID: row[0], statusID: row[1], state: LifecycleState(protoValue: row[2]) ?? .pending, amountMinor: row[3], currency: row[4],
                              probability: row[5], sourceTypeID: row[6], campaign: row[7], ownerID: row[8], assignedUserID: row[9], createdAt: row[10],
                              expectedCompletionAt: row[15])
        return Stored(facts: facts, text: [row[11], row[12], row[13], row[14]])
    }

    // A contentless FTS5 table forgets a row only when told the values it indexed.
    private static func deleteText(_ db: Database, id: Int64, _ text: [String]) throws {
        try db.cachedStatement(sql: "INSERT INTO lead_text(lead_text, rowid, full_name, company, emails, phones) VALUES ('delete', ?, ?, ?, ?, ?)").execute(
            arguments: StatementArguments([id as any DatabaseValueConvertible] + text.map { $0 as any DatabaseValueConvertible }))
    }
}

extension LeadFacts {
    init(_ lead: LeadsV1.Lead) {
        self.init(typeID: lead.typeId, statusID: lead.statusId, state: LifecycleState(lead.state) ?? .pending,
                  amountMinor: lead.targetAmount?.amountMinor ?? 0, currency: lead.targetAmount?.currency ?? "", probability: lead.probability,
                  sourceTypeID: lead.sourceTypeId, campaign: lead.campaign, ownerID: lead.ownerId, assignedUserID: lead.assignedUserId,
                  createdAt: lead.createdAt, expectedCompletionAt: lead.expectedCompletionAt)
    }
}

extension LifecycleState {
    /// The contract's number for the state (the read model stores it, so states sort in life-cycle order).
    var protoValue: Int32 {
        switch self {
        case .pending: 1
        case .inProgress: 2
        case .won: 3
        case .lost: 4
        case .cancelled: 5
        }
    }

    init?(protoValue: Int32) {
        switch protoValue {
        case 1: self = .pending
        case 2: self = .inProgress
        case 3: self = .won
        case 4: self = .lost
        case 5: self = .cancelled
        default: return nil
        }
    }

    init?(_ wire: LeadsV1.LifecycleState) { self.init(protoValue: wire.protoValue) }

    var wire: LeadsV1.LifecycleState { LeadsV1.LifecycleState(protoValue: protoValue) }
}

/// Custom field values as the read model stores them: {"key": {"text": "..."}} and the like, so
/// that a filter reads one JSON path and a row gives back the typed values.
enum CustomFieldsJSON {
    static func encode(_ values: [LeadsV1.CustomFieldValue]) -> String {
        guard !values.isEmpty else { return "{}" }
        var object: [String: [String: Any]] = [:]
        for field in values {
            switch field.value {
            case .text(let s): object[field.key] = ["text": s]
            case .integer(let n): object[field.key] = ["integer": n]
            case .decimal(let s): object[field.key] = ["decimal": s]
            case .boolean(let b): object[field.key] = ["boolean": b]
            case .date(let n): object[field.key] = ["date": n]
            case nil: continue
            }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [LeadsV1.CustomFieldValue] {
        guard text != "{}" else { return [] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: [String: Any]] else { return [] }
        return object.keys.sorted().compactMap { key in
            guard let entry = object[key], let (kind, raw) = entry.first else { return nil }
            let value: LeadsV1.CustomFieldValue.Value?
            switch kind {
            case "text": value = (raw as? String).map { .text($0) }
            case "decimal": value = (raw as? String).map { .decimal($0) }
            case "integer": value = (raw as? NSNumber).map { .integer($0.int64Value) }
            case "date": value = (raw as? NSNumber).map { .date($0.int64Value) }
            case "boolean": value = (raw as? NSNumber).map { .boolean($0.boolValue) }
            default: value = nil
            }
            return value.map { LeadsV1.CustomFieldValue(key: key, value: $0) }
        }
    }
}
