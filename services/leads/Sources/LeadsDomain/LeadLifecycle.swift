import CRMDomain

/// The life cycle of a lead: create (initial status, PENDING), status moves within a state per
/// the type's transitions, accept, start progress, win, lose, cancel, delete-if-pending (plus
/// the 60-day rule for imported leads). Each illegal move is FAILED_PRECONDITION naming the rule.
public struct LeadLifecycle: Sendable {
    public static let importedDeleteAge: Int64 = 60 * 86_400_000

    public let configuration: LeadConfiguration
    public let now: Int64

    public init(configuration: LeadConfiguration, now: Int64) {
        self.configuration = configuration
        self.now = now
    }

    /// Fills what a new lead takes from its type and the active definition. A status given for
    /// a new lead must be a pending one of its type (else a violation of `lead.status_id`, never
    /// silently the initial one); none gives the type's initial status.
    public func prepareNew(_ lead: inout LeadRecord, caller: Caller, into v: inout Violations) {
        let requested = lead.statusID
        prepareNew(&lead, caller: caller)
        guard requested != 0, let type = configuration.type(lead.typeID) else { return }
        let pending = type.statusIDs.filter { configuration.status($0)?.state == .pending && configuration.status($0)?.active == true }
        if pending.contains(requested) {
            lead.statusID = requested
        } else {
            let names = pending.compactMap { configuration.status($0).map { "\($0.name) (\($0.id))" } }.joined(separator: ", ")
            let given = configuration.status(requested).map { "\($0.name), \($0.state.rawValue)" } ?? "no such status"
            v.add("lead.status_id", "a new lead starts in a pending status of its type (\(names)); \(requested) is \(given)")
        }
    }

    /// Fills what a new lead takes from its type and the active definition.
    public func prepareNew(_ lead: inout LeadRecord, caller: Caller) {
        let definition = configuration.activeDefinition
        if lead.typeID == 0 { lead.typeID = definition?.defaultTypeID ?? 0 }
        let type = configuration.type(lead.typeID)
        lead.statusID = type?.initialStatusID ?? 0
        lead.state = .pending
        if lead.priority == 0 { lead.priority = type?.defaultPriority ?? definition?.defaultPriority ?? 5 }
        if lead.importance == 0 { lead.importance = type?.defaultImportance ?? definition?.defaultImportance ?? 4 }
        if lead.expectedCompletionAt == 0, let estimate = type?.estimatedCompletionMs, estimate > 0 { lead.expectedCompletionAt = now + estimate }
        if lead.ownerID == 0 { lead.ownerID = caller.userID }
        lead.createdBy = caller.userID
        lead.createdAt = now
        lead.updatedBy = caller.userID
        lead.updatedAt = now
        lead.version = 1
    }

    /// A status change by editing: only within the current life-cycle state, along a transition.
    public func changeStatus(_ lead: inout LeadRecord, to statusID: Int64) throws(DomainError) {
        guard statusID != lead.statusID else { return }
        guard let type = configuration.type(lead.typeID), let target = configuration.status(statusID), type.statusIDs.contains(statusID) else {
            throw DomainError.invalid([Violation("lead.status_id", "is not a status of the lead's type")])
        }
        guard target.state == lead.state else {
            throw DomainError.failedPrecondition("a status change by editing stays within the \(lead.state.rawValue) state; use the life-cycle actions to move between states")
        }
        guard type.transitions.contains(StatusTransition(from: lead.statusID, to: statusID)) else {
            throw DomainError.failedPrecondition("lead type \(type.name) has no transition from status \(lead.statusID) to \(statusID)")
        }
        lead.statusID = statusID
    }

    /// A unit member takes a lead assigned to their unit and to nobody yet.
    public func accept(_ lead: inout LeadRecord, caller: Caller) throws(DomainError) {
        try requireOpen(lead, action: "accepted")
        guard lead.assignedUnitID != 0, lead.assignedUnitID == caller.unitID else {
            throw DomainError.failedPrecondition("only a member of the lead's assigned unit may accept it")
        }
        guard lead.assignedUserID == 0 else {
            throw DomainError.failedPrecondition("the lead was already accepted by user \(lead.assignedUserID)")
        }
        lead.assignedUserID = caller.userID
        lead.acceptedAt = now
    }

    /// PENDING to IN_PROGRESS, into the type's first IN_PROGRESS status.
    public func startProgress(_ lead: inout LeadRecord) throws(DomainError) {
        guard lead.state == .pending else { throw DomainError.failedPrecondition("only a PENDING lead can start progress; this one is \(lead.state.rawValue)") }
        lead.statusID = try statusOfType(lead, in: .inProgress, requested: 0, field: "status_id")
        lead.state = .inProgress
        lead.startedAt = now
    }

    /// IN_PROGRESS to WON. The caller has already checked the lead has no open activities.
    public func win(_ lead: inout LeadRecord, statusID: Int64) throws(DomainError) {
        guard lead.state == .inProgress else { throw DomainError.failedPrecondition("only an IN_PROGRESS lead can be won; this one is \(lead.state.rawValue)") }
        lead.statusID = try statusOfType(lead, in: .won, requested: statusID, field: "status_id")
        lead.state = .won
        lead.completedAt = now
    }

    /// An open lead to LOST, with a reason from the allowed list.
    public func lose(_ lead: inout LeadRecord, reasonID: Int64, competitorID: Int64, statusID: Int64) throws(DomainError) {
        var v = Violations()
        if let reason = configuration.item(reasonID, kind: .lostReason) {
            if !reason.active { v.add("lost_reason_id", "names a retired lost reason") }
        } else {
            v.add("lost_reason_id", "must be one of the lost reasons")
        }
        if competitorID != 0 && configuration.item(competitorID, kind: .competitor) == nil { v.add("competitor_id", "names no competitor (\(competitorID))") }
        try v.check()
        try requireOpen(lead, action: "lost")
        lead.statusID = try statusOfType(lead, in: .lost, requested: statusID, field: "status_id")
        lead.state = .lost
        lead.lostReasonID = reasonID
        lead.lostToCompetitorID = competitorID
        lead.completedAt = now
    }

    /// An open lead to CANCELLED.
    public func cancel(_ lead: inout LeadRecord, reason: String) throws(DomainError) {
        var v = Violations()
        TextRules.check(TextRules.collapsed(reason), field: "reason", required: true, max: 2000, into: &v)
        try v.check()
        try requireOpen(lead, action: "cancelled")
        lead.statusID = try statusOfType(lead, in: .cancelled, requested: 0, field: "status_id")
        lead.state = .cancelled
        lead.completedAt = now
    }

    /// Only PENDING leads are deleted; a sales manager (or admin) may also delete an imported
    /// lead that was never reassigned once it is 60 days old.
    public func checkDelete(_ lead: LeadRecord, caller: Caller) throws(DomainError) {
        if lead.state == .pending && (caller.role != .agent || lead.ownerID == caller.userID) { return }
        let managerRole = caller.role == .salesManager || caller.role == .admin
        if managerRole && lead.imported && lead.lastReassignedAt == 0 && now - lead.createdAt >= Self.importedDeleteAge { return }
        if lead.state != .pending {
            throw DomainError.failedPrecondition("only PENDING leads can be deleted (a sales manager may delete an imported lead never reassigned once it is 60 days old)")
        }
        throw DomainError.permissionDenied("an agent may delete only leads they own")
    }

    private func requireOpen(_ lead: LeadRecord, action: String) throws(DomainError) {
        guard !lead.state.isFinal else { throw DomainError.failedPrecondition("a \(lead.state.rawValue) lead cannot be \(action)") }
    }

    /// The status to move into: `requested` if it is one of the type's statuses in `state`, or
    /// the type's first (and, unless requested, only sensible) status in that state.
    private func statusOfType(_ lead: LeadRecord, in state: LifecycleState, requested: Int64, field: String) throws(DomainError) -> Int64 {
        guard let type = configuration.type(lead.typeID) else { throw DomainError.failedPrecondition("the lead's type \(lead.typeID) no longer exists") }
        let candidates = type.statusIDs.filter { configuration.status($0)?.state == state && configuration.status($0)?.active == true }
        if requested != 0 {
            guard candidates.contains(requested) else { throw DomainError.invalid([Violation(field, "must be an active \(state.rawValue) status of lead type \(type.name)")]) }
            return requested
        }
        guard let first = candidates.first else { throw DomainError.failedPrecondition("lead type \(type.name) has no active \(state.rawValue) status") }
        return first
    }
}

/// What changed between two versions of a lead, for the history.
public enum LeadDiff {
    public static func changes(from old: LeadRecord, to new: LeadRecord) -> [(field: String, old: String, new: String)] {
        var out: [(String, String, String)] = []
        func compare<T: Equatable>(_ field: String, _ a: T, _ b: T, _ show: (T) -> String) {
            if a != b { out.append((field, show(a), show(b))) }
        }
        let text: (String) -> String = { $0 }
        let number: (Int64) -> String = { $0 == 0 ? "" : String($0) }
        let small: (Int32) -> String = { String($0) }
        let list: ([String]) -> String = { $0.joined(separator: ", ") }
        let ids: ([Int64]) -> String = { $0.map(String.init).joined(separator: ", ") }
        compare("full_name", old.fullName, new.fullName, text)
        compare("company", old.company, new.company, text)
        compare("emails", old.emails, new.emails, list)
        compare("phones", old.phones, new.phones, list)
        compare("login", old.login, new.login, text)
        compare("partner", old.partner, new.partner, text)
        compare("location", old.location, new.location, text)
        compare("country", old.country, new.country, text)
        compare("region", old.region, new.region, text)
        compare("province", old.province, new.province, text)
        compare("postal_code", old.postalCode, new.postalCode, text)
        compare("locale", old.locale, new.locale, text)
        compare("campaign", old.campaign, new.campaign, text)
        compare("channel", old.channel, new.channel, text)
        compare("source_type_id", old.sourceTypeID, new.sourceTypeID, number)
        compare("source", old.source, new.source, text)
        compare("type_id", old.typeID, new.typeID, number)
        compare("category_id", old.categoryID, new.categoryID, number)
        compare("status_id", old.statusID, new.statusID, number)
        compare("state", old.state, new.state) { $0.rawValue }
        compare("priority", old.priority, new.priority, small)
        compare("importance", old.importance, new.importance, small)
        compare("probability", old.probability, new.probability, small)
        compare("target_amount", old.targetAmount, new.targetAmount) { $0.map { "\($0.amountMinor) \($0.currency)" } ?? "" }
        compare("score", old.score, new.score, small)
        compare("owner_id", old.ownerID, new.ownerID, number)
        compare("assigned_unit_id", old.assignedUnitID, new.assignedUnitID, number)
        compare("assigned_user_id", old.assignedUserID, new.assignedUserID, number)
        compare("team_user_ids", old.teamUserIDs, new.teamUserIDs, ids)
        compare("competitor_ids", old.competitorIDs, new.competitorIDs, ids)
        compare("products", old.products, new.products) { $0.map { "\($0.quantity) x \($0.product)" }.joined(separator: ", ") }
        compare("last_contacted_at", old.lastContactedAt, new.lastContactedAt, number)
        compare("contact_on", old.contactOn, new.contactOn, number)
        compare("started_at", old.startedAt, new.startedAt, number)
        compare("expected_completion_at", old.expectedCompletionAt, new.expectedCompletionAt, number)
        compare("completed_at", old.completedAt, new.completedAt, number)
        compare("lost_reason_id", old.lostReasonID, new.lostReasonID, number)
        compare("lost_to_competitor_id", old.lostToCompetitorID, new.lostToCompetitorID, number)
        compare("account_id", old.conversion.accountID, new.conversion.accountID, number)
        compare("contact_id", old.conversion.contactID, new.conversion.contactID, number)
        compare("opportunity_id", old.conversion.opportunityID, new.conversion.opportunityID, number)
        compare("merged_into_id", old.mergedIntoID, new.mergedIntoID, number)
        for key in Set(old.customFields.keys).union(new.customFields.keys).sorted() {
            compare("custom_fields.\(key)", old.customFields[key], new.customFields[key]) { $0?.display ?? "" }
        }
        return out
    }
}
