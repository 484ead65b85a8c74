import CRMDomain

/// Leads as CSV rows (the lead table's export): ids and names side by side where people
/// want names (type, status, owner, unit), times in ISO 8601, amounts with their currency, so
/// that a file exported can be imported again.
public struct LeadExport: Sendable {
    /// What `crm leads export` writes when no columns are asked for, before the custom fields:
    /// everything an import reads back, so an export imports into another system as the same
    /// leads (plus the ids, assignment and times people look at).
    public static let usualColumns = [
        "id", "full_name", "company", "emails", "phones", "login", "partner", "location", "country", "region", "province", "postal_code",
        "locale", "campaign", "channel", "source", "source_type", "type", "status", "state", "category", "priority", "importance",
        "probability", "score", "target_amount", "competitors", "owner", "assigned_unit", "assigned_user", "last_contacted_at", "contact_on",
        "expected_completion_at", "started_at", "completed_at", "lost_reason", "created_at", "updated_at",
    ]

    /// Every column an export may have, besides the custom fields (by key, or custom_fields.KEY).
    public static let allColumns: [String] = usualColumns + [
        "source_type_id", "type_id", "status_id", "category_id", "owner_id", "assigned_unit_id", "assigned_user_id", "competitor_ids",
        "accepted_at", "imported", "merged_into_id", "account_id", "opportunity_id", "converted_at", "time_overdue_ms", "version", "created_by",
    ]

    /// The columns, custom fields as custom_fields.KEY.
    public let columns: [String]
    let configuration: LeadConfiguration
    let logins: [Int64: String]
    let units: [Int64: String]

    /// The export of `columns` (the usual ones and every active custom field when empty), with a
    /// violation per unknown column. A custom field is asked for by its key or as custom_fields.KEY.
    public init(columns requested: [String], configuration: LeadConfiguration, logins: [Int64: String], units: [Int64: String], into v: inout Violations) {
        let known = Set(Self.allColumns)
        let customKeys = Set(configuration.customFields.map(\.key))
        if requested.count > 200 { v.add("columns", "must have at most 200 columns") }
        var columns: [String] = []
        for (i, column) in requested.enumerated() {
            let key = column.hasPrefix("custom_fields.") ? String(column.dropFirst("custom_fields.".count)) : column
            if known.contains(column) {
                columns.append(column)
            } else if customKeys.contains(key) {
                columns.append("custom_fields.\(key)")
            } else {
                v.add("columns[\(i)]", "is not a column of an export (\(column)); see the Lead fields, or a custom field's key")
            }
        }
        self.columns = requested.isEmpty
            ? Self.usualColumns + configuration.customFields.filter(\.active).map { "custom_fields.\($0.key)" }
            : columns
        self.configuration = configuration
        self.logins = logins
        self.units = units
    }

    /// The header row: a custom field under its key ("cups"), which the import reads back, unless
    /// the key is also the name of a lead column, then as custom_fields.KEY.
    public var header: [String] {
        columns.map { column in
            guard column.hasPrefix("custom_fields.") else { return column }
            let key = String(column.dropFirst("custom_fields.".count))
            return Self.leadColumnNames.contains(key) ? column : key
        }
    }

    /// Every name a header may give a lead field by, in an export or an import.
    static let leadColumnNames = Set(allColumns).union(LeadImport.importable).union(LeadImport.aliases.keys).union(LeadImport.readOnly)

    /// The row of `lead` at `now`.
    public func row(_ lead: LeadRecord, now: Int64) -> [String] {
        columns.map { value(of: $0, lead, now: now) }
    }

    private func value(of column: String, _ l: LeadRecord, now: Int64) -> String {
        func id(_ value: Int64) -> String { value == 0 ? "" : String(value) }
        func time(_ value: Int64) -> String { value == 0 ? "" : Timestamp.format(value) }
        func item(_ id: Int64) -> String { configuration.catalog.first { $0.id == id }?.name ?? "" }
        switch column {
        case "id": return String(l.id)
        case "full_name": return l.fullName
        case "company": return l.company
        case "emails": return l.emails.joined(separator: ", ")
        case "phones": return l.phones.joined(separator: ", ")
        case "login": return l.login
        case "partner": return l.partner
        case "location": return l.location
        case "country": return l.country
        case "region": return l.region
        case "province": return l.province
        case "postal_code": return l.postalCode
        case "locale": return l.locale
        case "campaign": return l.campaign
        case "channel": return l.channel
        case "source": return l.source
        case "source_type": return item(l.sourceTypeID)
        case "source_type_id": return id(l.sourceTypeID)
        case "type": return configuration.type(l.typeID)?.name ?? ""
        case "type_id": return id(l.typeID)
        case "status": return configuration.status(l.statusID)?.name ?? ""
        case "status_id": return id(l.statusID)
        case "state": return l.state.rawValue
        case "category": return item(l.categoryID)
        case "category_id": return id(l.categoryID)
        case "priority": return String(l.priority)
        case "importance": return String(l.importance)
        case "probability": return String(l.probability)
        case "score": return String(l.score)
        case "target_amount": return l.targetAmount.map(MoneyText.format) ?? ""
        case "owner": return logins[l.ownerID] ?? id(l.ownerID)
        case "owner_id": return id(l.ownerID)
        case "assigned_unit": return units[l.assignedUnitID] ?? id(l.assignedUnitID)
        case "assigned_unit_id": return id(l.assignedUnitID)
        case "assigned_user": return logins[l.assignedUserID] ?? id(l.assignedUserID)
        case "assigned_user_id": return id(l.assignedUserID)
        case "competitor_ids": return l.competitorIDs.map(String.init).joined(separator: ", ")
        case "competitors": return l.competitorIDs.map { configuration.item($0, kind: .competitor)?.name ?? String($0) }.joined(separator: ", ")
        case "last_contacted_at": return time(l.lastContactedAt)
        case "contact_on": return time(l.contactOn)
        case "started_at": return time(l.startedAt)
        case "expected_completion_at": return time(l.expectedCompletionAt)
        case "completed_at": return time(l.completedAt)
        case "lost_reason": return item(l.lostReasonID)
        case "accepted_at": return time(l.acceptedAt)
        case "imported": return l.imported ? "true" : "false"
        case "merged_into_id": return id(l.mergedIntoID)
        case "account_id": return id(l.conversion.accountID)
        case "opportunity_id": return id(l.conversion.opportunityID)
        case "converted_at": return time(l.conversion.convertedAt)
        case "time_overdue_ms": return String(l.timeOverdue(now: now))
        case "version": return String(l.version)
        case "created_by": return logins[l.createdBy] ?? id(l.createdBy)
        case "created_at": return time(l.createdAt)
        case "updated_at": return time(l.updatedAt)
        default:
            let key = String(column.dropFirst("custom_fields.".count))
            guard let value = l.customFields[key] else { return "" }
            if case .date(let ms) = value { return Timestamp.formatDate(ms) }
            return value.display
        }
    }
}
