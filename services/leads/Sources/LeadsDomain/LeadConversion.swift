import CRMDomain

/// What a lead was converted into: the links kept on the lead.
public struct ConversionLinks: Sendable, Hashable {
    public var accountID: Int64 = 0
    public var contactID: Int64 = 0
    public var opportunityID: Int64 = 0
    /// When the first record was created (Unix ms); 0 while the lead is not converted.
    public var convertedAt: Int64 = 0
    public var convertedBy: Int64 = 0

    public init() {}
    public var isEmpty: Bool { convertedAt == 0 }
}

/// The customer account a won lead becomes.
public struct AccountRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var name: String
    public var leadID: Int64
    public var ownerID: Int64
    public var country: String
    public var createdAt: Int64

    public init(id: Int64 = 0, name: String, leadID: Int64, ownerID: Int64, country: String, createdAt: Int64) {
        self.id = id
        self.name = name
        self.leadID = leadID
        self.ownerID = ownerID
        self.country = country
        self.createdAt = createdAt
    }
}

/// The person behind a won lead, under its account.
public struct ContactRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var accountID: Int64
    public var leadID: Int64
    public var fullName: String
    public var emails: [String]
    public var phones: [String]
    public var createdAt: Int64

    public init(id: Int64 = 0, accountID: Int64, leadID: Int64, fullName: String, emails: [String], phones: [String], createdAt: Int64) {
        self.id = id
        self.accountID = accountID
        self.leadID = leadID
        self.fullName = fullName
        self.emails = emails
        self.phones = phones
        self.createdAt = createdAt
    }
}

/// The sale a lead is expected to become.
public struct OpportunityRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var leadID: Int64
    public var accountID: Int64
    public var name: String
    public var amount: LeadRecord.Money?
    public var probability: Int32
    public var ownerID: Int64
    public var createdAt: Int64

    public init(id: Int64 = 0, leadID: Int64, accountID: Int64, name: String, amount: LeadRecord.Money?, probability: Int32, ownerID: Int64, createdAt: Int64) {
        self.id = id
        self.leadID = leadID
        self.accountID = accountID
        self.name = name
        self.amount = amount
        self.probability = probability
        self.ownerID = ownerID
        self.createdAt = createdAt
    }
}

/// The conversion rules: a lead in progress may become an opportunity; a won lead becomes an
/// account and a contact, plus an opportunity when asked. Converting twice creates nothing new.
public struct LeadConversion: Sendable {
    /// What one conversion must create.
    public struct Plan: Sendable, Hashable {
        public var account: AccountRecord?
        public var contact: ContactRecord?
        public var opportunity: OpportunityRecord?
        /// The existing opportunity that gains the new account.
        public var linkOpportunityID: Int64 = 0
        public var isEmpty: Bool { account == nil && opportunity == nil && linkOpportunityID == 0 }

        public init(account: AccountRecord? = nil, contact: ContactRecord? = nil, opportunity: OpportunityRecord? = nil, linkOpportunityID: Int64 = 0) {
            self.account = account
            self.contact = contact
            self.opportunity = opportunity
            self.linkOpportunityID = linkOpportunityID
        }
    }

    public let now: Int64
    public let actorID: Int64

    public init(now: Int64, actorID: Int64) {
        self.now = now
        self.actorID = actorID
    }

    /// What converting `lead` creates, or why it may not be converted. An empty plan means the
    /// lead already has everything asked for.
    public func plan(_ lead: LeadRecord, createOpportunity: Bool, accountName: String) throws(DomainError) -> Plan {
        let name = TextRules.collapsed(accountName)
        var v = Violations()
        TextRules.check(name, field: "account_name", required: false, max: 200, into: &v)
        try v.check()
        guard lead.mergedIntoID == 0 else { throw DomainError.failedPrecondition("lead \(lead.id) was merged into lead \(lead.mergedIntoID): convert that one") }
        let links = lead.conversion
        var plan = Plan()
        switch lead.state {
        case .won:
            if links.accountID == 0 {
                let account = AccountRecord(
                    name: name.isEmpty ? (lead.company.isEmpty ? lead.fullName : lead.company) : name,
                    leadID: lead.id, ownerID: lead.ownerID, country: lead.country, createdAt: now)
                plan.account = account
                plan.contact = ContactRecord(accountID: 0, leadID: lead.id, fullName: lead.fullName, emails: lead.emails, phones: lead.phones, createdAt: now)
                if links.opportunityID != 0 { plan.linkOpportunityID = links.opportunityID }
            }
        case .inProgress:
            guard createOpportunity else {
                throw DomainError.failedPrecondition("an IN_PROGRESS lead converts only into an opportunity (set create_opportunity); it becomes an account and a contact when won")
            }
        case .pending, .lost, .cancelled:
            throw DomainError.failedPrecondition("only an IN_PROGRESS or WON lead can be converted; this one is \(lead.state.rawValue)")
        }
        if createOpportunity && links.opportunityID == 0 {
            plan.opportunity = OpportunityRecord(
                leadID: lead.id, accountID: links.accountID,
                name: name.isEmpty ? (lead.company.isEmpty ? lead.fullName : lead.company) : name,
                amount: lead.targetAmount, probability: lead.probability, ownerID: lead.ownerID, createdAt: now)
        }
        return plan
    }

    /// The lead's links once `plan` is stored with these ids.
    public func apply(_ plan: Plan, accountID: Int64, contactID: Int64, opportunityID: Int64, to lead: inout LeadRecord) {
        if accountID != 0 { lead.conversion.accountID = accountID }
        if contactID != 0 { lead.conversion.contactID = contactID }
        if opportunityID != 0 { lead.conversion.opportunityID = opportunityID }
        if lead.conversion.convertedAt == 0 && !plan.isEmpty {
            lead.conversion.convertedAt = now
            lead.conversion.convertedBy = actorID
        }
    }
}
