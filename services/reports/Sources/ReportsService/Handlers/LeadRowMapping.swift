import CRMDomain
import CRMWire
import GRDB

extension ReportsV1.LeadRow {
    /// A row of lead_row (SELECT *), as of `asOf` for the overdue time.
    init(row: Row, asOf: Int64) {
        self.init()
        leadId = row["id"]
        fullName = row["full_name"]
        company = row["company"]
        email = row["email"]
        phone = row["phone"]
        country = row["country"]
        region = row["region"]
        province = row["province"]
        postalCode = row["postal_code"]
        locale = row["locale"]
        campaign = row["campaign"]
        channel = row["channel"]
        sourceType = row["source_type"]
        typeId = row["type_id"]
        typeName = row["type_name"]
        statusId = row["status_id"]
        statusName = row["status_name"]
        state = LeadsV1.LifecycleState(protoValue: row["state"])
        priority = row["priority"]
        importance = row["importance"]
        ownerId = row["owner_id"]
        ownerName = row["owner_name"]
        assignedUnitId = row["assigned_unit_id"]
        assignedUnitName = row["assigned_unit_name"]
        assignedUserId = row["assigned_user_id"]
        assignedUserName = row["assigned_user_name"]
        let amount: Int64 = row["target_amount"]
        if amount != 0 { targetAmount = RpcV1.Money(amountMinor: amount, currency: row["currency"]) }
        contactOn = row["contact_on"]
        expectedCompletionAt = row["expected_completion_at"]
        completedAt = row["completed_at"]
        let open: Bool = row["is_open"]
        timeOverdueMs = open && expectedCompletionAt > 0 && expectedCompletionAt < asOf ? asOf - expectedCompletionAt : 0
        converted = row["converted"]
        openWork = row["open_work"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
        customFields = CustomFieldsJSON.decode(row["custom_fields"])
    }

    /// The CSV columns of an export, in LeadRow's order.
    static let csvHeader = [
        "lead_id", "full_name", "company", "email", "phone", "country", "region", "province", "postal_code", "locale", "campaign", "channel",
        "source_type", "type", "status", "state", "priority", "importance", "owner", "assigned_unit", "assigned_user", "target_amount", "currency",
        "contact_on", "expected_completion_at", "completed_at", "overdue_days", "converted", "open_work", "created_at", "updated_at", "custom_fields",
    ]

    var csvFields: [String] {
        func date(_ ms: Int64) -> String { ms == 0 ? "" : ReportText.isoDate(ms) }
        return [
            String(leadId), fullName, company, email, phone, country, region, province, postalCode, locale, campaign, channel,
            sourceType, typeName, statusName, ReportText.state(state), String(priority), String(importance), ownerName, assignedUnitName, assignedUserName,
            targetAmount.map { ReportText.amount($0.amountMinor) } ?? "", targetAmount?.currency ?? "",
            date(contactOn), date(expectedCompletionAt), date(completedAt), timeOverdueMs == 0 ? "" : String(timeOverdueMs / 86_400_000),
            converted ? "yes" : "no", String(openWork), date(createdAt), date(updatedAt),
            customFields.map { "\($0.key)=\(ReportText.custom($0.value))" }.joined(separator: "; "),
        ]
    }
}

/// How the reports write values as text (exports, chart labels).
enum ReportText {
    static func isoDate(_ ms: Int64) -> String { Timestamp.formatDate(ms) }

    static func amount(_ minor: Int64) -> String {
        let sign = minor < 0 ? "-" : ""
        let units = abs(minor) / 100, cents = abs(minor) % 100
        return "\(sign)\(units).\(cents < 10 ? "0" : "")\(cents)"
    }

    static func state(_ state: LeadsV1.LifecycleState) -> String {
        switch state {
        case .pending: "pending"
        case .inProgress: "in progress"
        case .won: "won"
        case .lost: "lost"
        case .cancelled: "cancelled"
        default: "unspecified"
        }
    }

    static func custom(_ value: LeadsV1.CustomFieldValue.Value?) -> String {
        switch value {
        case .text(let s)?, .decimal(let s)?: s
        case .integer(let n)?: String(n)
        case .date(let n)?: isoDate(n)
        case .boolean(let b)?: b ? "yes" : "no"
        case nil: ""
        }
    }
}
