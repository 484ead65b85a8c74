import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

// Assignment: manual and mass (AssignLeads), the recorded trail, and the rules that assign new leads.

extension LeadsHandler {
    func assignLeads(request: LeadsV1.AssignLeadsRequest, context: ServerContext) async throws -> LeadsV1.AssignLeadsResponse {
        let caller = try context.caller()
        guard caller.role != .agent else { throw DomainError.permissionDenied("agents cannot assign or reassign leads") }
        var v = Violations()
        if request.unitId < 0 { v.add("unit_id", "must be a unit's id, or 0") }
        if request.userId < 0 { v.add("user_id", "must be a user's id, or 0") }
        if request.unitId == 0 && request.userId == 0 { v.add("unit_id", "give a unit, a user, or both to assign to") }
        if request.ids.count > 10_000 { v.add("ids", "must have at most 10,000 leads") }
        let note = TextRules.collapsed(request.note)
        TextRules.check(note, field: "note", required: false, max: 2000, into: &v)
        let now = env.clock.millis()
        let configuration = try await env.configuration()
        let query = request.ids.isEmpty
            ? LeadQuery(filter: request.filter ?? LeadsV1.LeadFilter(), sort: [], now: now, configuration: configuration, into: &v) : nil
        if let query { LeadAccess.check(query.view, for: caller, into: &v) }
        if request.ids.isEmpty && request.filter == nil { v.add("ids", "give lead ids, or a filter") }
        try v.check()
        let response = try await env.mutate(context, caller: caller) { db -> LeadsV1.AssignLeadsResponse in
            var ids = request.ids
            if let query {
                ids = try LeadQueryStore.ids(db, query, caller: caller, now: now, limit: 10_001)
                guard ids.count <= 10_000 else { throw DomainError.invalid([Violation("filter", "matches more than 10,000 leads; narrow it to 10,000 or fewer")]) }
            }
            let unit = request.unitId == 0 ? nil : try DirectoryStore.unit(db, id: request.unitId)
            if request.unitId != 0 && unit == nil { throw DomainError.invalid([Violation("unit_id", "names no unit (\(request.unitId))")]) }
            let user = request.userId == 0 ? nil : try DirectoryStore.user(db, id: request.userId)
            if request.userId != 0 && user == nil { throw DomainError.invalid([Violation("user_id", "names no user (\(request.userId))")]) }
            var assigned: [Int64] = []
            var failures: [RpcV1.ItemFailure] = []
            for id in ids.uniqued() {
                do {
                    let lead = try LeadStore.visibleLead(db, id: id, caller: caller)
                    // A user alone keeps the user's unit; a unit alone leaves the lead for the unit to accept.
                    let toUnit = unit?.id ?? user?.unitID ?? 0
                    try AssignmentPolicy.check(
                        caller: caller, lead: lead, toUnit: toUnit, toUser: user.map { ($0.id, $0.unitID, $0.active) }, toUnitActive: unit?.active ?? true)
                    _ = try assign(db, lead, toUnit: toUnit, toUser: user?.id ?? 0, by: caller.userID, ruleID: 0, note: note, now: now)
                    assigned.append(id)
                } catch let error as DomainError {
                    failures.append(RpcV1.ItemFailure(id: id, status: RPCError(error).status))
                }
            }
            return LeadsV1.AssignLeadsResponse(assignedIds: assigned, failures: failures)
        }
        return response
    }

    /// Moves a lead to a unit and user, with history, the assignment record and an event.
    func assign(_ db: Database, _ lead: LeadRecord, toUnit: Int64, toUser: Int64, by actor: Int64, ruleID: Int64, note: String, now: Int64) throws -> LeadRecord {
        var updated = lead
        AssignmentPolicy.apply(&updated, toUnit: toUnit, toUser: toUser, now: now)
        try AssignmentStore.record(db, AssignmentRecord(
            leadID: lead.id, fromUnitID: lead.assignedUnitID, fromUserID: lead.assignedUserID, toUnitID: toUnit, toUserID: toUser,
            assignedBy: actor, ruleID: ruleID, assignedAt: now, note: note))
        if toUser != 0 { try LeadStore.markUnread(db, leadID: lead.id, userID: toUser) }
        _ = try save(db, old: lead, new: updated, actor: actor, now: now, action: ruleID == 0 ? "assigned" : "assigned by rule \(ruleID)", reason: note)
        return updated
    }

    /// Tries the active rules in order on a new lead; the first that matches assigns it. The
    /// rules are those of the configuration snapshot the write already holds.
    func applyRules(_ db: Database, _ lead: LeadRecord, rules: [AssignmentRuleRecord], now: Int64) throws -> LeadRecord {
        guard lead.assignedUnitID == 0 && lead.assignedUserID == 0 else { return lead }
        for rule in rules where rule.active && rule.condition.matches(lead) {
            guard let unit = try DirectoryStore.unit(db, id: rule.unitID), unit.active else { continue }
            var userID = rule.userID
            if rule.roundRobin { userID = try AssignmentStore.nextRoundRobin(db, ruleID: rule.id, unitID: unit.id) ?? 0 }
            if userID != 0, let user = try DirectoryStore.user(db, id: userID), !user.active { userID = 0 }
            return try assign(db, lead, toUnit: unit.id, toUser: userID, by: 0, ruleID: rule.id, note: rule.name, now: now)
        }
        return lead
    }

    func listAssignments(request: LeadsV1.ListAssignmentsRequest, context: ServerContext) async throws -> LeadsV1.ListAssignmentsResponse {
        let (rows, next) = try await pageOfLead(context, request, leadID: request.leadId) { db, cursor, limit, fingerprint in
            try AssignmentStore.assignments(db, leadID: request.leadId, after: cursor, limit: limit, fingerprint: fingerprint)
        }
        return LeadsV1.ListAssignmentsResponse(
            assignments: rows.map {
                LeadsV1.Assignment(
                    id: $0.id, leadId: $0.leadID, fromUnitId: $0.fromUnitID, fromUserId: $0.fromUserID, toUnitId: $0.toUnitID,
                    toUserId: $0.toUserID, assignedBy: $0.assignedBy, ruleId: $0.ruleID, assignedAt: $0.assignedAt, note: $0.note)
            },
            nextPageToken: next)
    }

    func saveAssignmentRule(request: LeadsV1.SaveAssignmentRuleRequest, context: ServerContext) async throws -> LeadsV1.AssignmentRule {
        let caller = try context.caller()
        guard caller.role == .admin || caller.role == .salesManager else {
            throw DomainError.permissionDenied("only sales managers and admins manage assignment rules")
        }
        let w = request.rule ?? LeadsV1.AssignmentRule()
        var condition = RuleCondition()
        if let c = w.condition {
            condition.countries = c.countries.map { $0.uppercased() }
            condition.regions = c.regions
            condition.sourceTypeIDs = c.sourceTypeIds
            condition.campaigns = c.campaigns
            condition.channels = c.channels
            condition.typeIDs = c.typeIds
        }
        let rule = AssignmentRuleRecord(
            id: w.id, name: TextRules.collapsed(w.name), position: w.position, condition: condition, unitID: w.unitId, userID: w.userId,
            roundRobin: w.roundRobin, active: w.active, version: w.version)
        var v = Violations()
        AssignmentPolicy.check(rule, prefix: "rule", into: &v)
        try v.check()
        return try await env.mutate(context, caller: caller) { db -> LeadsV1.AssignmentRule in
            guard let unit = try DirectoryStore.unit(db, id: rule.unitID) else { throw DomainError.invalid([Violation("rule.unit_id", "names no unit (\(rule.unitID))")]) }
            if rule.userID != 0 {
                guard let user = try DirectoryStore.user(db, id: rule.userID), user.unitID == unit.id else {
                    throw DomainError.invalid([Violation("rule.user_id", "must be a member of unit \(unit.id)")])
                }
            }
            let id = try AssignmentStore.save(db, rule)
            return try AssignmentStore.rules(db).first { $0.id == id }!.wire
        }
    }

    func listAssignmentRules(request: LeadsV1.ListAssignmentRulesRequest, context: ServerContext) async throws -> LeadsV1.ListAssignmentRulesResponse {
        _ = try context.caller()
        return LeadsV1.ListAssignmentRulesResponse(rules: try await env.database.read { db in try AssignmentStore.rules(db) }.map(\.wire))
    }

    func deleteAssignmentRule(request: LeadsV1.DeleteAssignmentRuleRequest, context: ServerContext) async throws -> LeadsV1.DeleteAssignmentRuleResponse {
        let caller = try context.caller()
        guard caller.role == .admin || caller.role == .salesManager else {
            throw DomainError.permissionDenied("only sales managers and admins manage assignment rules")
        }
        return try await env.mutate(context, caller: caller) { db in
            try AssignmentStore.delete(db, id: request.id, version: request.version)
            return LeadsV1.DeleteAssignmentRuleResponse()
        }
    }
}

extension AssignmentRuleRecord {
    var wire: LeadsV1.AssignmentRule {
        LeadsV1.AssignmentRule(
            id: id, name: name, position: position,
            condition: LeadsV1.RuleCondition(
                countries: condition.countries, regions: condition.regions, sourceTypeIds: condition.sourceTypeIDs,
                campaigns: condition.campaigns, channels: condition.channels, typeIds: condition.typeIDs),
            unitId: unitID, userId: userID, roundRobin: roundRobin, active: active, version: version)
    }
}
