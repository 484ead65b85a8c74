import LeadsDomain
import CRMDomain
import Foundation
import GRDB

/// Accounts, contacts and opportunities created by converting leads, in SQL.
enum ConversionStore {
    /// Stores what `plan` creates and returns the new ids (0 for what it does not create).
    static func store(_ db: Database, _ plan: LeadConversion.Plan) throws -> (account: Int64, contact: Int64, opportunity: Int64) {
        var accountID: Int64 = 0, contactID: Int64 = 0, opportunityID: Int64 = 0
        if let a = plan.account {
            try db.execute(sql: "INSERT INTO account (name, lead_id, owner_id, country, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [a.name, a.leadID, a.ownerID, a.country, a.createdAt])
            accountID = db.lastInsertedRowID
        }
        if let c = plan.contact {
            try db.execute(sql: "INSERT INTO contact (account_id, lead_id, full_name, emails, phones, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [accountID, c.leadID, c.fullName, JSONText.strings(c.emails), JSONText.strings(c.phones), c.createdAt])
            contactID = db.lastInsertedRowID
        }
        if plan.linkOpportunityID != 0 {
            try db.execute(sql: "UPDATE opportunity SET account_id = ? WHERE id = ?", arguments: [accountID, plan.linkOpportunityID])
        }
        if let o = plan.opportunity {
            try db.execute(
                sql: "INSERT INTO opportunity (lead_id, account_id, name, amount_minor, currency, probability, owner_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [o.leadID, accountID != 0 ? accountID : o.accountID, o.name, o.amount?.amountMinor ?? 0, o.amount?.currency ?? "",
                            o.probability, o.ownerID, o.createdAt])
            opportunityID = db.lastInsertedRowID
        }
        return (accountID, contactID, opportunityID)
    }

    static func account(_ db: Database, id: Int64) throws -> AccountRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]).map {
            AccountRecord(id: $0["id"], name: $0["name"], leadID: $0["lead_id"], ownerID: $0["owner_id"], country: $0["country"], createdAt: $0["created_at"])
        }
    }

    static func contact(_ db: Database, id: Int64) throws -> ContactRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM contact WHERE id = ?", arguments: [id]).map {
            ContactRecord(id: $0["id"], accountID: $0["account_id"], leadID: $0["lead_id"], fullName: $0["full_name"],
                          emails: JSONText.decodeStrings($0["emails"]), phones: JSONText.decodeStrings($0["phones"]), createdAt: $0["created_at"])
        }
    }

    static func opportunity(_ db: Database, id: Int64) throws -> OpportunityRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM opportunity WHERE id = ?", arguments: [id]).map {
            let currency: String = $0["currency"]
            let amount: Int64 = $0["amount_minor"]
            return OpportunityRecord(
                id: $0["id"], leadID: $0["lead_id"], accountID: $0["account_id"], name: $0["name"],
                amount: currency.isEmpty && amount == 0 ? nil : LeadRecord.Money(amountMinor: amount, currency: currency),
                probability: $0["probability"], ownerID: $0["owner_id"], createdAt: $0["created_at"])
        }
    }

    /// Points what was created from lead `from` at lead `to` (a merge keeps the links of both).
    static func relink(_ db: Database, from: Int64, to: Int64) throws {
        for table in ["account", "contact", "opportunity"] {
            try db.execute(sql: "UPDATE \(table) SET lead_id = ? WHERE lead_id = ?", arguments: [to, from])
        }
    }
}
