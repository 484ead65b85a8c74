import LeadsDomain
import CRMDomain
import CRMService
import GRDB

/// The lead table's columns in one order for INSERT, UPDATE and SELECT. Values are bound and
/// read by position: on an import of a million rows, looking columns up by name and boxing each
/// value as an existential cost more than SQLite's own work.
enum LeadColumns {
    /// Every column but the id, in the order of `LeadRecord.columnValues`.
    static let names: [String] = [
        "full_name", "company", "login", "partner", "location", "country", "region", "province", "postal_code", "locale",
        "campaign", "channel", "source", "state", "emails", "phones", "team_user_ids", "competitor_ids", "products",
        "custom_fields", "target_currency", "search_text", "source_type_id", "type_id", "category_id", "status_id",
        "priority", "importance", "probability", "target_amount_minor", "score", "owner_id", "assigned_unit_id",
        "assigned_user_id", "last_contacted_at", "contact_on", "started_at", "expected_completion_at", "completed_at",
        "lost_reason_id", "lost_to_competitor_id", "accepted_at", "last_reassigned_at", "merged_into_id", "version",
        "created_by", "created_at", "updated_by", "updated_at", "imported", "account_id", "contact_id", "opportunity_id",
        "converted_at", "converted_by",
    ]

    /// The select list `LeadRecord(row:)` reads: the id, then `names`.
    static let selection = "id, " + names.joined(separator: ", ")
    static let insert = "INSERT INTO lead (\(names.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))"
    /// The values, then the id and the version the stored row must still have.
    static let update = "UPDATE lead SET \(names.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ? AND version = ?"
}

extension LeadRecord {
    /// The values of `LeadColumns.names`, in that order.
    var columnValues: StatementValues {
        var values = StatementValues(capacity: LeadColumns.names.count + 2, bytes: 512)
        for text in [fullName, company, login, partner, location, country, region, province, postalCode, locale, campaign, channel, source] {
            values.append(text)
        }
        values.append(state.rawValue)
        values.append(JSONText.strings(emails))
        values.append(JSONText.strings(phones))
        values.append(JSONText.integers(teamUserIDs))
        values.append(JSONText.integers(competitorIDs))
        values.append(products.isEmpty ? "[]" : JSONText.encode(products, empty: "[]"))
        values.append(JSONText.customFields(customFields))
        values.append(targetAmount?.currency ?? "")
        values.append(([fullName, company] + emails + phones).joined(separator: " ").lowercased())  // search_text
        for integer in [sourceTypeID, typeID, categoryID, statusID, Int64(priority), Int64(importance), Int64(probability),
                        targetAmount?.amountMinor ?? 0, Int64(score), ownerID, assignedUnitID, assignedUserID, lastContactedAt, contactOn,
                        startedAt, expectedCompletionAt, completedAt, lostReasonID, lostToCompetitorID, acceptedAt, lastReassignedAt,
                        mergedIntoID, version, createdBy, createdAt, updatedBy, updatedAt, imported ? 1 : 0, conversion.accountID,
                        conversion.contactID, conversion.opportunityID, conversion.convertedAt, conversion.convertedBy] {
            values.append(integer)
        }
        return values
    }

    /// A lead from a row selected with `LeadColumns.selection`.
    init(row: Row) {
        self.init()
        var i = 0
        func next<T: DatabaseValueConvertible & StatementColumnConvertible>() -> T {
            defer { i += 1 }
            return row[i]
        }
        id = next(); fullName = next(); company = next(); login = next(); partner = next(); location = next()
        country = next(); region = next(); province = next(); postalCode = next(); locale = next(); campaign = next()
        channel = next(); source = next(); state = LifecycleState(rawValue: next()) ?? .pending
        emails = JSONText.decodeStrings(next()); phones = JSONText.decodeStrings(next())
        teamUserIDs = JSONText.decodeIntegers(next()); competitorIDs = JSONText.decodeIntegers(next())
        products = JSONText.decode(next() as String, []); customFields = JSONText.decode(next() as String, [:])
        let currency: String = next()
        i += 1  // search_text: for searching only
        sourceTypeID = next(); typeID = next(); categoryID = next(); statusID = next()
        priority = next(); importance = next(); probability = next()
        let amount: Int64 = next()
        targetAmount = currency.isEmpty && amount == 0 ? nil : Money(amountMinor: amount, currency: currency)
        score = next(); ownerID = next(); assignedUnitID = next(); assignedUserID = next()
        lastContactedAt = next(); contactOn = next(); startedAt = next(); expectedCompletionAt = next(); completedAt = next()
        lostReasonID = next(); lostToCompetitorID = next(); acceptedAt = next(); lastReassignedAt = next()
        mergedIntoID = next(); version = next(); createdBy = next(); createdAt = next(); updatedBy = next(); updatedAt = next()
        imported = next()
        conversion.accountID = next(); conversion.contactID = next(); conversion.opportunityID = next()
        conversion.convertedAt = next(); conversion.convertedBy = next()
    }
}
