import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

// Conversion: a lead in progress becomes an opportunity, a won lead an account and a contact
// (automatically on win when the active definition says so).
extension LeadsHandler {
    func convertLead(request: LeadsV1.ConvertLeadRequest, context: ServerContext) async throws -> LeadsV1.ConversionDetails {
        let caller = try context.caller()
        if request.id <= 0 { throw DomainError.invalid([Violation("id", "must be a lead's id")]) }
        let now = env.clock.millis()
        let details = try await env.mutate(context, caller: caller) { db -> LeadsV1.ConversionDetails in
            let current = try LeadStore.visibleLead(db, id: request.id, caller: caller)
            var lead = current
            try convert(db, &lead, createOpportunity: request.createOpportunity, accountName: request.accountName, actor: caller.userID, now: now)
            let saved = try save(db, old: current, new: lead, actor: caller.userID, now: now, action: "converted")
            return try conversionDetails(db, saved)
        }
        return details
    }

    func getConversion(request: LeadsV1.GetConversionRequest, context: ServerContext) async throws -> LeadsV1.ConversionDetails {
        let caller = try context.caller()
        if request.leadId <= 0 { throw DomainError.invalid([Violation("lead_id", "must be a lead's id")]) }
        return try await env.database.read { db in
            let lead = try LeadStore.visibleLead(db, id: request.leadId, caller: caller)
            guard !lead.conversion.isEmpty else { throw DomainError.notFound("lead \(lead.id) has not been converted") }
            return try conversionDetails(db, lead)
        }
    }

    /// Creates what converting `lead` asks for and links it; nothing when it is already there.
    func convert(_ db: Database, _ lead: inout LeadRecord, createOpportunity: Bool, accountName: String, actor: Int64, now: Int64) throws {
        let conversion = LeadConversion(now: now, actorID: actor)
        let plan = try conversion.plan(lead, createOpportunity: createOpportunity, accountName: accountName)
        guard !plan.isEmpty else { return }
        let ids = try ConversionStore.store(db, plan)
        conversion.apply(plan, accountID: ids.account, contactID: ids.contact, opportunityID: ids.opportunity, to: &lead)
    }

    /// Automatic conversion on win, when the active definition enables it.
    func convertOnWin(_ db: Database, _ lead: inout LeadRecord, configuration: LeadConfiguration, actor: Int64, now: Int64) throws {
        guard let definition = configuration.activeDefinition, definition.convertOnWin, lead.state == .won else { return }
        try convert(db, &lead, createOpportunity: definition.createOpportunityOnWin, accountName: "", actor: actor, now: now)
    }

    private func conversionDetails(_ db: Database, _ lead: LeadRecord) throws -> LeadsV1.ConversionDetails {
        let links = lead.conversion
        return LeadsV1.ConversionDetails(
            conversion: links.wire,
            account: try ConversionStore.account(db, id: links.accountID).map {
                LeadsV1.Account(id: $0.id, name: $0.name, leadId: $0.leadID, ownerId: $0.ownerID, country: $0.country, createdAt: $0.createdAt)
            },
            contact: try ConversionStore.contact(db, id: links.contactID).map {
                LeadsV1.Contact(id: $0.id, accountId: $0.accountID, leadId: $0.leadID, fullName: $0.fullName, emails: $0.emails, phones: $0.phones, createdAt: $0.createdAt)
            },
            opportunity: try ConversionStore.opportunity(db, id: links.opportunityID).map {
                LeadsV1.Opportunity(
                    id: $0.id, leadId: $0.leadID, accountId: $0.accountID, name: $0.name,
                    amount: $0.amount.map { RpcV1.Money(amountMinor: $0.amountMinor, currency: $0.currency) }, probability: $0.probability,
                    ownerId: $0.ownerID, createdAt: $0.createdAt)
            })
    }
}

extension ConversionLinks {
    var wire: LeadsV1.Conversion {
        LeadsV1.Conversion(accountId: accountID, contactId: contactID, opportunityId: opportunityID, convertedAt: convertedAt, convertedBy: convertedBy)
    }
}
