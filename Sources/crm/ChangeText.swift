import CRMDomain
import CRMWire
import Foundation

/// A history entry's change as a person reads it: "status" rather than "status_id", names for
/// ids, local times for Unix milliseconds and "1,200.50 EUR" for minor units. `--json` keeps the
/// raw values.
enum ChangeText {
    /// The field's name without the id suffix; a custom field by its key.
    static func field(_ name: String) -> String {
        if name.hasPrefix("custom_fields.") { return String(name.dropFirst("custom_fields.".count)) }
        var base = name
        for suffix in ["_ids", "_id"] where base.hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count)) + (suffix == "_ids" ? "s" : "")
            break
        }
        return base.replacingOccurrences(of: "_", with: " ")
    }

    static let times: Set<String> = [
        "last_contacted_at", "contact_on", "started_at", "expected_completion_at", "completed_at", "accepted_at", "converted_at",
        "created_at", "updated_at", "last_reassigned_at",
    ]

    /// The value of `field` as stored in the history, shown with `names`.
    static func value(_ field: String, _ raw: String, _ names: Names) -> String {
        guard !raw.isEmpty else { return "" }
        func ids(_ show: (Int64) -> String) -> String {
            raw.split(separator: ",").map { part in
                let text = part.trimmingCharacters(in: .whitespaces)
                return Int64(text).map(show) ?? text
            }.joined(separator: ", ")
        }
        switch field {
        case "status_id": return ids(names.status)
        case "type_id": return ids(names.type)
        case "category_id", "source_type_id", "lost_reason_id", "lost_to_competitor_id", "competitor_ids": return ids(names.catalog)
        case "owner_id", "assigned_user_id", "created_by", "updated_by", "team_user_ids": return ids(names.user)
        case "assigned_unit_id": return ids(names.unit)
        case "target_amount":
            let parts = raw.split(separator: " ")
            guard parts.count == 2, let minor = Int64(parts[0]) else { return raw }
            return Reports.money(RpcV1.Money(amountMinor: minor, currency: String(parts[1])))
        case let name where times.contains(name):
            return Int64(raw).map(showTime) ?? raw
        case let name where name.hasPrefix("custom_fields."):
            // A DATE custom field is stored as midnight UTC: shown as that day.
            guard names.customTypes[String(name.dropFirst("custom_fields.".count))] == .date, let millis = Int64(raw) else { return raw }
            return Timestamp.formatDate(millis)
        default: return raw
        }
    }
}
