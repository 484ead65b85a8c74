import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB

/// Leads: `crm.leads.v1.Leads`: the life cycle, lists, notes, history, conversion, merge, CSV
/// import and export, assignment and the event feed.
struct LeadsHandler: LeadsV1.Leads.ServiceProtocol {
    let env: Environment
    let openWork: OpenWorkCheck
    var feed: EventFeed<LeadsV1.LeadEvent> { EventFeed(database: env.database.service) }

    // The life-cycle moves share one path: load, check, apply the rule, save with history.
    func acceptLead(request r: LeadsV1.LeadActionRequest, context c: ServerContext) async throws -> LeadsV1.Lead {
        try await transition(r.id, r.version, c, action: "accepted") { lead, life, caller in try life.accept(&lead, caller: caller) }
    }

    func startProgress(request r: LeadsV1.LeadActionRequest, context c: ServerContext) async throws -> LeadsV1.Lead {
        try await transition(r.id, r.version, c, action: "started") { lead, life, _ in try life.startProgress(&lead) }
    }

    func winLead(request r: LeadsV1.WinLeadRequest, context c: ServerContext) async throws -> LeadsV1.Lead {
        try await transition(r.id, r.version, c, action: "won", needsNoOpenWork: true) { lead, life, _ in
            try life.win(&lead, statusID: r.statusId)
        } then: { db, lead, configuration, caller, now in
            try self.convertOnWin(db, &lead, configuration: configuration, actor: caller.userID, now: now)
        }
    }

    func loseLead(request r: LeadsV1.LoseLeadRequest, context c: ServerContext) async throws -> LeadsV1.Lead {
        try await transition(r.id, r.version, c, action: "lost", reason: r.note, needsNoOpenWork: true) { lead, life, _ in
            try life.lose(&lead, reasonID: r.lostReasonId, competitorID: r.competitorId, statusID: r.statusId)
        }
    }

    func cancelLead(request r: LeadsV1.LeadActionRequest, context c: ServerContext) async throws -> LeadsV1.Lead {
        try await transition(r.id, r.version, c, action: "cancelled", reason: r.reason, needsNoOpenWork: true) { lead, life, _ in
            try life.cancel(&lead, reason: r.reason)
        }
    }

    // MARK: create, read, update, list

    func createLead(request: LeadsV1.CreateLeadRequest, context: ServerContext) async throws -> LeadsV1.Lead {
        let caller = try context.caller()
        guard let input = request.lead else { throw DomainError.invalid([Violation("lead", "is required")]) }
        let now = env.clock.millis()
        // Checked and encoded before the writer, against the configuration as last read; the
        // writer does it again only when the configuration changed meanwhile.
        let seen = try await env.latestConfiguration()
        let checked = Result { try Self.newLead(input, caller: caller, configuration: seen.configuration, now: now) }
        let lead = try await env.mutate(context, caller: caller) { db -> LeadRecord in
            let current = try env.database.configuration.snapshot(db)
            let new = current.generation == seen.generation
                ? try checked.get() : try Self.newLead(input, caller: caller, configuration: current.configuration, now: now)
            let ownerID = new.record.ownerID
            if ownerID != caller.userID, try DirectoryStore.user(db, id: ownerID) == nil {
                throw DomainError.invalid([Violation("lead.owner_id", "names no user (\(ownerID))")])
            }
            let rule = DuplicateRule(current.configuration)
            if !request.allowDuplicate, let match = try LeadStore.firstDuplicate(db, keys: rule.keys(of: new.record)) {
                let visible = try Self.mayKnow(db, match.leadID, caller)
                let field = Self.duplicateField(match.key)
                throw DomainError.alreadyExists(
                    "\(visible ? "lead \(match.leadID)" : "a lead you may not see") has the same \(Self.label(match.key)) \(match.key.value); set allow_duplicate to create it anyway",
                    existing: visible ? [Existing("lead", id: match.leadID, field: "lead.\(field)", value: match.key.value)] : [])
            }
            let saved = try LeadStore.insert(db, new, rule: rule, action: "created", actorID: caller.userID)
            return try applyRules(db, saved, rules: current.rules, now: now)
        } answer: { $0.wire(now: now, unread: false) }
        return lead
    }

    /// The request field a duplicate key comes from: "emails", "phones", "company"
    /// (with the full name), "custom_fields.KEY".
    static func duplicateField(_ key: DuplicateRule.Key) -> String {
        switch key.kind {
        case "email": "emails"
        case "phone": "phones"
        case "company_name": "company"
        default: key.kind
        }
    }

    /// A duplicate key's field as a refusal names it: "email", "phone", "company and name", "cups".
    static func label(_ key: DuplicateRule.Key) -> String {
        switch key.kind {
        case "company_name": "company and name"
        case let kind where kind.hasPrefix("custom_fields."): String(kind.dropFirst("custom_fields.".count))
        default: key.kind
        }
    }

    /// How a refusal names the lead a new one duplicates: by its id when the caller may see it,
    /// else without a word of which lead it is (its existence is all the caller learns).
    static func duplicateOwner(_ db: Database, _ leadID: Int64, _ caller: Caller) throws -> String {
        try mayKnow(db, leadID, caller) ? "lead \(leadID)" : "a lead you may not see"
    }

    /// Whether the caller may see the lead (and so learn its id from a refusal).
    static func mayKnow(_ db: Database, _ leadID: Int64, _ caller: Caller) throws -> Bool {
        guard let lead = try LeadStore.lead(db, id: leadID) else { return false }
        return LeadAccess.canSee(caller, lead, unitMembers: try DirectoryStore.unitMembers(db, of: caller))
    }

    /// A lead to create from a request's input (defaults from its type, every rule checked),
    /// encoded for the writer.
    static func newLead(_ input: LeadsV1.LeadInput, caller: Caller, configuration: LeadConfiguration, now: Int64) throws -> NewLead {
        var v = Violations()
        var (lead, statusID, ownerID) = LeadRecord().applying(input, mask: [], into: &v)
        lead.ownerID = ownerID ?? 0
        lead.statusID = statusID ?? 0  // checked against the type's pending statuses by prepareNew
        if lead.ownerID != 0 && lead.ownerID != caller.userID && caller.role == .agent {
            v.add("lead.owner_id", "an agent creates leads for themselves: leave it 0")
        }
        LeadLifecycle(configuration: configuration, now: now).prepareNew(&lead, caller: caller, into: &v)
        LeadRules(configuration: configuration).check(&lead, prefix: "lead", creating: true, into: &v)
        try v.check()
        return try NewLead(lead, actor: caller.userID, at: now)
    }

    func getLead(request: LeadsV1.GetLeadRequest, context: ServerContext) async throws -> LeadsV1.Lead {
        let caller = try context.caller()
        let now = env.clock.millis()
        let (lead, unread) = try await env.database.read { db in
            let lead = try LeadStore.visibleLead(db, id: request.id, caller: caller)
            return (lead, try LeadStore.isUnread(db, lead, userID: caller.userID))
        }
        // Opening an unread lead marks it read; any other opening only reads, and does not wait
        // behind the writes.
        if unread {
            try await env.database.write { db in try LeadStore.markRead(db, leadID: lead.id, userID: caller.userID, at: now) }
        }
        return lead.wire(now: now, unread: false)
    }

    func updateLead(request: LeadsV1.UpdateLeadRequest, context: ServerContext) async throws -> LeadsV1.Lead {
        let caller = try context.caller()
        var v = Violations()
        if request.lead == nil { v.add("lead", "is required") }
        if request.updateMask.isEmpty { v.add("update_mask", "must name the fields to change") }
        if request.version <= 0 { v.add("version", "must be the version you read") }
        try v.check()
        let now = env.clock.millis()
        let lead = try await env.mutate(context, caller: caller) { db -> LeadsV1.Lead in
            let current = try LeadStore.visibleLead(db, id: request.id, caller: caller)
            try current.requireVersion(request.version)
            guard !current.state.isFinal else { throw DomainError.failedPrecondition("a \(current.state.rawValue) lead cannot be edited") }
            let configuration = try env.database.configuration.load(db)
            var v = Violations()
            var (lead, statusID, ownerID) = current.applying(request.lead!, mask: request.updateMask, into: &v)
            if lead.typeID != current.typeID { v.add("lead.type_id", "cannot change once the lead exists") }
            if lead.teamUserIDs != current.teamUserIDs {
                let members = try DirectoryStore.unitMembers(db, of: caller)
                guard LeadAccess.canChangeTeam(caller, current, unitMembers: members) else {
                    throw DomainError.permissionDenied("only the lead's owner, its assignee and managers change its team")
                }
                for (i, id) in lead.teamUserIDs.enumerated().prefix(20) where try DirectoryStore.user(db, id: id) == nil {
                    v.add("lead.team_user_ids[\(i)]", "names no user (\(id))")
                }
            }
            if let ownerID, ownerID != current.ownerID {
                if caller.role == .agent { v.add("lead.owner_id", "only managers change a lead's owner") }
                if try DirectoryStore.user(db, id: ownerID) == nil { v.add("lead.owner_id", "names no user (\(ownerID))") }
                lead.ownerID = ownerID
            }
            LeadRules(configuration: configuration).check(&lead, prefix: "lead", creating: false, into: &v)
            try v.check()
            if let statusID { try LeadLifecycle(configuration: configuration, now: now).changeStatus(&lead, to: statusID) }
            return try save(db, old: current, new: lead, actor: caller.userID, now: now, action: "updated").wire(now: now, unread: false)
        }
        return lead
    }

    func listLeads(request: LeadsV1.ListLeadsRequest, context: ServerContext) async throws -> LeadsV1.ListLeadsResponse {
        let caller = try context.caller()
        let now = env.clock.millis()
        var v = Violations()
        let (cursor, limit, fingerprint) = PageCursor.window(request, caller: caller, into: &v)
        let query = LeadQuery(filter: request.filter ?? LeadsV1.LeadFilter(), sort: request.sort, now: now, configuration: try await env.configuration(), into: &v)
        LeadAccess.check(query.view, for: caller, into: &v)
        if query.view == .all && !caller.role.seesAllLeads { v.add("filter.view", "All Leads is for managers and admins") }
        try v.check()
        return try await env.database.read { db in
            let page = try LeadQueryStore.page(db, query, caller: caller, now: now, after: cursor, limit: limit, fingerprint: fingerprint)
            return LeadsV1.ListLeadsResponse(
                leads: try page.leads.map { $0.wire(now: now, unread: try LeadStore.isUnread(db, $0, userID: caller.userID)) },
                nextPageToken: page.next?.token ?? "", totalCount: page.total)
        }
    }

    // MARK: life cycle

    /// Loads, checks visibility and version, applies a life-cycle rule, and saves with history and event.
    private func transition(
        _ id: Int64, _ version: Int64, _ context: ServerContext, action: String, reason: String = "", needsNoOpenWork: Bool = false,
        _ rule: @escaping @Sendable (inout LeadRecord, LeadLifecycle, Caller) throws -> Void,
        then follow: (@Sendable (Database, inout LeadRecord, LeadConfiguration, Caller, Int64) throws -> Void)? = nil
    ) async throws -> LeadsV1.Lead {
        let caller = try context.caller()
        var v = Violations()
        if id <= 0 { v.add("id", "must be a lead's id") }
        if version <= 0 { v.add("version", "must be the version you read") }
        try v.check()
        let now = env.clock.millis()
        if needsNoOpenWork {
            // The request and the lead's own rules first, on what is committed now: a call
            // that can never succeed must not be told to retry because crm-activities is down.
            try await env.database.read { db in
                var lead = try LeadStore.visibleLead(db, id: id, caller: caller)
                try lead.requireVersion(version)
                try rule(&lead, LeadLifecycle(configuration: try env.database.configuration.load(db), now: now), caller)
            }
            // Then crm-activities, before the transaction: a remote call must not hold the write lock.
            let open = try await openWork.open(id, context)
            if !open.isEmpty { throw OpenWorkCheck.refusal(leadID: id, open: open) }
        }
        let lead = try await env.mutate(context, caller: caller) { db -> LeadsV1.Lead in
            let current = try LeadStore.visibleLead(db, id: id, caller: caller)
            try current.requireVersion(version)
            var lead = current
            let configuration = try env.database.configuration.load(db)
            try rule(&lead, LeadLifecycle(configuration: configuration, now: now), caller)
            try follow?(db, &lead, configuration, caller, now)
            return try save(db, old: current, new: lead, actor: caller.userID, now: now, action: action, reason: reason).wire(now: now, unread: false)
        }
        return lead
    }

    /// Stores a changed lead with a new version, its history entry and its event; an unchanged
    /// lead is left as it is.
    func save(
        _ db: Database, old: LeadRecord, new: LeadRecord, actor: Int64, now: Int64, action: String, reason: String = "",
        event: LeadsV1.LeadEventType = .updated
    ) throws -> LeadRecord {
        var lead = new
        let changes = LeadDiff.changes(from: old, to: lead)
        guard !changes.isEmpty else { return old }
        lead.version = old.version + 1
        lead.updatedBy = actor
        lead.updatedAt = now
        try LeadStore.update(db, old: old, lead, rule: DuplicateRule(try env.database.configuration.load(db)))
        try LeadStore.addHistory(db, leadID: lead.id, action: action, actorID: actor, at: now, changes: changes, version: lead.version, reason: TextRules.collapsed(reason))
        try appendEvent(db, .leadChanged(event, lead, actor: actor, at: now))
        return lead
    }

    func deleteLead(request: LeadsV1.LeadActionRequest, context: ServerContext) async throws -> LeadsV1.DeleteLeadResponse {
        let caller = try context.caller()
        let now = env.clock.millis()
        let response = try await env.mutate(context, caller: caller) { db -> LeadsV1.DeleteLeadResponse in
            let lead = try LeadStore.visibleLead(db, id: request.id, caller: caller)
            try lead.requireVersion(request.version)
            let configuration = try env.database.configuration.load(db)
            try LeadLifecycle(configuration: configuration, now: now).checkDelete(lead, caller: caller)
            try LeadStore.delete(db, lead, rule: DuplicateRule(configuration))
            try LeadStore.addHistory(db, leadID: lead.id, action: "deleted", actorID: caller.userID, at: now, changes: [], version: lead.version + 1,
                                     reason: TextRules.collapsed(request.reason))
            try appendEvent(db, LeadsV1.LeadEvent(type: .deleted, entityId: lead.id, at: now, actorId: caller.userID))
            return LeadsV1.DeleteLeadResponse()
        }
        return response
    }

    // MARK: notes, history, duplicates, read marks

    func addNote(request: LeadsV1.AddNoteRequest, context: ServerContext) async throws -> LeadsV1.Note {
        let caller = try context.caller()
        let text = request.text.trimmingSpaces
        var v = Violations()
        TextRules.check(text.replacingOccurrences(of: "\r", with: ""), field: "text", required: true, max: 2000, into: &v)
        try v.check()
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db -> LeadsV1.Note in
            _ = try LeadStore.visibleLead(db, id: request.leadId, caller: caller)
            let author = try DirectoryStore.user(db, id: caller.userID)?.name ?? "user \(caller.userID)"
            let id = try LeadStore.addNote(db, leadID: request.leadId, authorID: caller.userID, authorName: author, text: text, at: now)
            return LeadsV1.Note(id: id, leadId: request.leadId, authorId: caller.userID, authorName: author, text: text, createdAt: now)
        }
    }

    func recordMessage(request: LeadsV1.RecordMessageRequest, context: ServerContext) async throws -> LeadsV1.RecordMessageResponse {
        let caller = try context.caller()
        guard caller.role == .service else { throw DomainError.permissionDenied("only a service records the messages sent to a lead") }
        var v = Violations()
        if request.leadId <= 0 { v.add("lead_id", "must be a lead's id") }
        if request.messageId <= 0 { v.add("message_id", "must be a message's id") }
        TextLimit(characters: 500).check(request.subject, field: "subject", into: &v)
        TextLimit(characters: 254).check(request.to, field: "to", into: &v)
        if request.sentAt <= 0 { v.add("sent_at", "must be when it was delivered") }
        try v.check()
        return try await env.mutate(context, caller: caller) { db in
            guard let lead = try LeadStore.lead(db, id: request.leadId) else { throw DomainError.notFound("no lead with id \(request.leadId)") }
            try LeadStore.addHistory(db, leadID: lead.id, action: "message sent", actorID: request.senderId, at: request.sentAt,
                                     changes: [("message", "", "\(request.messageId): \(request.subject) (to \(request.to))")], version: lead.version)
            return LeadsV1.RecordMessageResponse()
        }
    }

    func listNotes(request: LeadsV1.ListNotesRequest, context: ServerContext) async throws -> LeadsV1.ListNotesResponse {
        let (notes, next) = try await pageOfLead(context, request, leadID: request.leadId) { db, cursor, limit, fingerprint in
            try LeadStore.notes(db, leadID: request.leadId, after: cursor, limit: limit, fingerprint: fingerprint)
        }
        return LeadsV1.ListNotesResponse(
            notes: notes.map { LeadsV1.Note(id: $0.id, leadId: $0.leadID, authorId: $0.authorID, authorName: $0.authorName, text: $0.text, createdAt: $0.createdAt) },
            nextPageToken: next)
    }

    /// Reads one page of what belongs to a lead (notes, history, assignments), once the caller is
    /// known to see the lead; returns it with the next page's token.
    func pageOfLead<Request: PagedRequest, Item: Sendable>(
        _ context: ServerContext, _ request: Request, leadID: Int64,
        _ read: @escaping @Sendable (Database, PageCursor?, Int, String) throws -> ([Item], next: PageCursor?)
    ) async throws -> ([Item], next: String) {
        let caller = try context.caller()
        var v = Violations()
        let (cursor, limit, fingerprint) = PageCursor.window(request, caller: caller, into: &v)
        try v.check()
        let (items, next) = try await env.database.read { db in
            _ = try LeadStore.visibleLead(db, id: leadID, caller: caller)
            return try read(db, cursor, limit, fingerprint)
        }
        return (items, next?.token ?? "")
    }

    func listHistory(request: LeadsV1.ListHistoryRequest, context: ServerContext) async throws -> LeadsV1.ListHistoryResponse {
        let (entries, next) = try await pageOfLead(context, request, leadID: request.leadId) { db, cursor, limit, fingerprint in
            try LeadStore.history(db, leadID: request.leadId, after: cursor, limit: limit, fingerprint: fingerprint)
        }
        return LeadsV1.ListHistoryResponse(
            entries: entries.map { e in
                LeadsV1.HistoryEntry(
                    id: e.id, leadId: e.leadID, action: e.action, actorId: e.actorID, at: e.at,
                    changes: e.changes.compactMap { $0.count == 3 ? LeadsV1.FieldChange(field: $0[0], oldValue: $0[1], newValue: $0[2]) : nil },
                    version: e.version, reason: e.reason)
            },
            nextPageToken: next)
    }

    func findDuplicates(request: LeadsV1.FindDuplicatesRequest, context: ServerContext) async throws -> LeadsV1.FindDuplicatesResponse {
        let caller = try context.caller()
        let configuration = try await env.configuration()
        var v = Violations()
        if request.emails.count + request.phones.count + request.customFields.count > 20 {
            v.add("emails", "at most 20 e-mails, phones and custom field values in all")
        }
        // The values as a lead would store them, so that they compare as the stored keys do.
        var probe = LeadRecord()
        probe.emails = request.emails.enumerated().compactMap { i, raw -> String? in
            let e = raw.trimmingSpaces.lowercased()
            if !EmailRules.isValid(e) { v.add("emails[\(i)]", "must be an e-mail address"); return nil }
            return e
        }
        probe.phones = request.phones.enumerated().compactMap { i, raw -> String? in
            guard let p = PhoneRules.normalised(raw, country: "") else { v.add("phones[\(i)]", "must be a phone number with its country code"); return nil }
            return p
        }
        TextRules.check(request.fullName, field: "full_name", required: false, max: 200, into: &v)
        TextRules.check(request.company, field: "company", required: false, max: 200, into: &v)
        probe.fullName = request.fullName
        probe.company = request.company
        let customKeys = Set(configuration.customFields.map(\.key))
        for (i, value) in request.customFields.enumerated() {
            guard customKeys.contains(value.key) else { v.add("custom_fields[\(i)].key", "names no custom field (\(value.key))"); continue }
            guard let wire = value.value else { v.add("custom_fields[\(i)]", "must have a value"); continue }
            if case .text(let text) = wire { TextRules.check(text, field: "custom_fields[\(i)].text", required: false, max: 2000, into: &v) }
            probe.customFields[value.key] = LeadRecord.CustomValue(wire)
        }
        try v.check()
        let keys = DuplicateRule(configuration).keys(of: probe)
        return try await env.database.read { db in
            var matches: [LeadsV1.DuplicateMatch] = []
            let members = try DirectoryStore.unitMembers(db, of: caller)
            for match in try LeadStore.duplicates(db, keys: keys, excluding: request.excludeId) {
                guard let lead = try LeadStore.lead(db, id: match.leadID), LeadAccess.canSee(caller, lead, unitMembers: members) else { continue }
                matches.append(LeadsV1.DuplicateMatch(leadId: lead.id, fullName: lead.fullName, matchedOn: match.key.kind, value: match.key.value))
            }
            return LeadsV1.FindDuplicatesResponse(matches: matches)
        }
    }

    func markRead(request: LeadsV1.MarkReadRequest, context: ServerContext) async throws -> LeadsV1.MarkReadResponse {
        let caller = try context.caller()
        let now = env.clock.millis()
        return try await env.database.write { db in
            _ = try LeadStore.visibleLead(db, id: request.id, caller: caller)
            if request.read {
                try LeadStore.markRead(db, leadID: request.id, userID: caller.userID, at: now)
            } else {
                try LeadStore.markUnread(db, leadID: request.id, userID: caller.userID)
            }
            return LeadsV1.MarkReadResponse()
        }
    }

    // MARK: the event feed

    func listEvents(request: LeadsV1.ListEventsRequest, context: ServerContext) async throws -> LeadsV1.ListEventsResponse {
        try EventFeed<LeadsV1.LeadEvent>.requireReader(try context.caller())
        let (events, head) = try await feed.list(after: request.after, limit: request.limit)
        return LeadsV1.ListEventsResponse(events: events, head: head)
    }

    func watchEvents(request: LeadsV1.WatchEventsRequest, response writer: ResponseWriter<LeadsV1.LeadEvent>, context: ServerContext) async throws {
        try EventFeed<LeadsV1.LeadEvent>.requireReader(try context.caller())
        try await feed.watch(after: request.after, to: writer)
    }
}

extension LeadsV1.LeadEvent: FeedEvent {}

extension LeadsV1.LeadEvent {
    static func leadChanged(_ type: LeadsV1.LeadEventType, _ lead: LeadRecord, actor: Int64, at: Int64) -> LeadsV1.LeadEvent {
        LeadsV1.LeadEvent(type: type, entityId: lead.id, at: at, actorId: actor, lead: lead.wire(now: at, unread: false))
    }
}
