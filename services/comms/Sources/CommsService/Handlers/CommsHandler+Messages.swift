import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import CommsDomain
import Foundation
import GRDB

extension CommsHandler {
    /// Fills a template for leads, reading each lead (as the caller may see it) and the users its
    /// tags name, each user once per call.
    final class Filler: @unchecked Sendable {
        let handler: CommsHandler
        let context: ServerContext
        let configuration: LeadsV1.Configuration
        let sender: LeadsV1.User?
        private var users: [Int64: LeadsV1.User?] = [:]

        init(_ handler: CommsHandler, _ context: ServerContext, configuration: LeadsV1.Configuration, sender: LeadsV1.User?) {
            self.handler = handler
            self.context = context
            self.configuration = configuration
            self.sender = sender
        }

        func user(_ id: Int64) async throws -> LeadsV1.User? {
            guard id != 0 else { return nil }
            if let known = users[id] { return known }
            let user = try await handler.leads.user(id, context)
            users[id] = user
            return user
        }

        func render(subject: TemplateText, body: TemplateText, kind: BodyKind, lead: LeadsV1.Lead) async throws -> Rendered {
            let values = LeadValues.values(
                lead: lead, configuration: configuration, owner: try await user(lead.ownerId), assignee: try await user(lead.assignedUserId),
                sender: sender, now: handler.clock.millis())
            return Rendered(subject: subject, body: body, kind: kind, values: values)
        }
    }

    func render(request: CommsV1.RenderRequest, context: ServerContext) async throws -> CommsV1.RenderedMessage {
        let caller = try context.caller()
        if request.leadId <= 0 { throw DomainError.invalid([Violation("lead_id", "must be a lead's id")]) }
        var subject = request.subject, body = request.body
        var kind = BodyKind(request.bodyKind) ?? .plain
        if request.templateId != 0 {
            guard let template = try await database.read({ db in try TemplateStore.template(db, id: request.templateId) }) else {
                throw DomainError.notFound("no template with id \(request.templateId)")
            }
            (subject, body, kind) = (template.subject, template.body, template.bodyKind)
        } else {
            var v = Violations()
            CommsRules.subject.check(subject, field: "subject", into: &v)
            CommsRules.body.check(body, field: "body", into: &v)
            try v.check()
        }
        let (catalogue, configuration) = try await catalogue(context)
        let subjectText = TemplateText(subject), bodyText = TemplateText(body)
        let problems = subjectText.problems(part: "subject", catalogue: catalogue) + bodyText.problems(part: "body", catalogue: catalogue)
        if !problems.isEmpty { throw DomainError.invalid(problems.map { Violation($0.part, "\($0.tag) at offset \($0.offset) \($0.message)") }) }
        guard let lead = try await leads.lead(request.leadId, context) else { throw DomainError.notFound("no lead with id \(request.leadId) that you may see") }
        let filler = Filler(self, context, configuration: configuration, sender: try await leads.user(caller.userID, context))
        let rendered = try await filler.render(subject: subjectText, body: bodyText, kind: kind, lead: lead)
        return CommsV1.RenderedMessage(leadId: lead.id, to: lead.emails.first ?? "", subject: rendered.subject, body: rendered.body,
                                       emptyTags: rendered.emptyTags, bodyKind: kind.wire)
    }

    func send(request: CommsV1.SendRequest, context: ServerContext) async throws -> CommsV1.SendResponse {
        let caller = try context.caller()
        var v = Violations()
        if request.templateId <= 0 { v.add("template_id", "must be a template's id") }
        if request.leadIds.isEmpty && request.filter == nil { v.add("lead_ids", "name at least one lead, or give a filter") }
        if !request.leadIds.isEmpty && request.filter != nil { v.add("filter", "give lead ids or a filter, not both") }
        if request.leadIds.count > CommsRules.maxLeadsPerSend { v.add("lead_ids", "at most \(CommsRules.maxLeadsPerSend) leads in one Send") }
        if request.leadIds.contains(where: { $0 <= 0 }) { v.add("lead_ids", "must hold leads' ids") }
        try v.check()
        guard request.filter != nil else { return try await deliver(request, caller: caller, context: context) }
        return try await massSends.run { try await deliver(request, caller: caller, context: context) }
    }

    /// A checked Send: its leads read, each message rendered, and the good ones queued.
    private func deliver(_ request: CommsV1.SendRequest, caller: Caller, context: ServerContext) async throws -> CommsV1.SendResponse {
        guard let template = try await database.read({ db in try TemplateStore.template(db, id: request.templateId) }) else {
            throw DomainError.notFound("no template with id \(request.templateId)")
        }
        guard template.active else { throw DomainError.failedPrecondition("template \(template.id) (\(template.name)) is retired") }
        let (_, configuration) = try await catalogue(context)
        let sender = try await leads.user(caller.userID, context)
        let filler = Filler(self, context, configuration: configuration, sender: sender)
        let subject = TemplateText(template.subject), body = TemplateText(template.body)
        let now = clock.millis()
        var messages: [MessageRecord] = []
        var failures: [RpcV1.ItemFailure] = []
        // The leads: named one by one (each read as the caller may see it), or found by a filter
        // (a mass message: managers and admins only).
        var targets: [(id: Int64, lead: LeadsV1.Lead?)] = []
        if let filter = request.filter {
            guard caller.role == .admin || caller.role == .salesManager || caller.role == .unitManager else {
                throw DomainError.permissionDenied("a mass message by filter needs a manager's or an admin's role; name the leads instead")
            }
            targets = try await leads.leads(filter, CommsRules.maxLeadsPerSend, context).map { ($0.id, $0) }
        } else {
            var seen: Set<Int64> = []
            for id in request.leadIds where seen.insert(id).inserted { targets.append((id, try await leads.lead(id, context))) }
        }
        for (id, found) in targets {
            guard let lead = found else {
                failures.append(RpcV1.ItemFailure(id: id, status: RpcV1.Status(code: .notFound, message: "no lead with id \(id) that you may see")))
                continue
            }
            guard let to = lead.emails.first, !to.isEmpty else {
                failures.append(RpcV1.ItemFailure(id: id, status: RpcV1.Status(code: .failedPrecondition, message: "lead \(id) has no e-mail address")))
                continue
            }
            let rendered = try await filler.render(subject: subject, body: body, kind: template.bodyKind, lead: lead)
            if !rendered.emptyTags.isEmpty && !request.allowEmptyValues {
                failures.append(RpcV1.ItemFailure(id: id, status: RpcV1.Status(
                    code: .failedPrecondition, message: "lead \(id) has no value for \(rendered.emptyTags.joined(separator: ", ")): not sent (allow_empty_values sends it with them empty)")))
                continue
            }
            messages.append(MessageRecord(
                leadID: id, templateID: template.id, recipient: to, senderName: sender?.name ?? "", subject: rendered.subject, body: rendered.body,
                bodyKind: template.bodyKind, messageID: "", nextAttemptAt: now, createdBy: caller.userID, createdAt: now))
        }
        if request.dryRun {
            return CommsV1.SendResponse(messages: Self.fitted(messages.prefix(Self.bodiesInAnswer).map(\.wire)), failures: failures, count: Int32(messages.count))
        }
        let queued = messages, refused = failures, domain = messageIDDomain
        // Stored with their events in the transaction that answers the call.
        let saved = try await database.mutate(context, caller: caller, now: now) { db -> CommsV1.SendResponse in
            let out = try queued.map { try MessageStore.queue(db, $0, domain: domain, at: now).wire }
            return CommsV1.SendResponse(messages: Self.fitted(out), failures: refused, count: Int32(out.count))
        }
        return saved
    }

    /// How many messages of a Send's answer carry their body, at most.
    static let bodiesInAnswer = 100

    /// A Send's messages made to fit one answer: the first ones whole while they fill a quarter
    /// of a frame (at most 100 of them), the next without their body while they fill another
    /// half, and the rest as their id, lead and status alone (GetMessage reads any of them whole).
    static func fitted(_ messages: [CommsV1.Message]) -> [CommsV1.Message] {
        var whole = PageFill(limit: AnswerBudget.pageBytes / 2)
        var bodiless = PageFill(limit: AnswerBudget.pageBytes)
        var full = false
        return messages.enumerated().map { index, message in
            var message = message
            if index < bodiesInAnswer, !full, whole.admits(bytes: (try? message.encodedSize()) ?? 0) { return message }
            full = true
            message.body = ""
            if bodiless.admits(bytes: (try? message.encodedSize()) ?? 0) { return message }
            return CommsV1.Message(id: message.id, leadId: message.leadId, templateId: message.templateId, status: message.status, createdAt: message.createdAt)
        }
    }

    /// A message, when the caller sent it, sees every lead, or may see its lead.
    func visibleMessage(_ id: Int64, _ caller: Caller, _ context: ServerContext) async throws -> MessageRecord {
        guard let message = try await database.read({ db in try MessageStore.message(db, id: id) }) else {
            throw DomainError.notFound("no message with id \(id)")
        }
        if caller.role.seesAllLeads || message.createdBy == caller.userID { return message }
        guard try await leads.lead(message.leadID, context) != nil else { throw DomainError.notFound("no message with id \(id)") }
        return message
    }

    func getMessage(request: CommsV1.GetMessageRequest, context: ServerContext) async throws -> CommsV1.Message {
        try await visibleMessage(request.id, try context.caller(), context).wire
    }

    func listMessages(request: CommsV1.ListMessagesRequest, context: ServerContext) async throws -> CommsV1.ListMessagesResponse {
        let caller = try context.caller()
        var v = Violations()
        let limit = PageSize.resolve(request.pageSize, into: &v)
        var query = ListQuery(table: "message", order: [(.init("created_at"), true)])
        if request.leadId < 0 { v.add("lead_id", "must not be negative") }
        if request.leadId > 0 { query.require("lead_id = ?", [request.leadId]) }
        var statuses: [String] = []
        for (i, status) in request.statuses.enumerated().prefix(10) {
            switch status {
            case .queued: statuses.append("queued")
            case .sending: statuses.append("sending")
            case .sent: statuses.append("sent")
            case .retrying: statuses.append("retrying")
            case .failed: statuses.append("failed")
            default: v.add("statuses[\(i)]", "is not a known status")
            }
        }
        query.require("status", in: statuses)
        if request.ids.count > 10_000 { v.add("ids", "must have at most 10,000 values") }
        query.require("id", in: Array(request.ids.prefix(10_000)))
        if let range = request.created {
            if range.fromMs > 0 { query.require("created_at >= ?", [range.fromMs]) }
            if range.toMs > 0 { query.require("created_at < ?", [range.toMs]) }
        }
        let fingerprint = PageCursor.fingerprint(of: request, caller: caller) { $0.pageToken = ""; $0.pageSize = 0 }
        let cursor = PageCursor.decode(request.pageToken, query: fingerprint, into: &v)
        try v.check()
        if !caller.role.seesAllLeads {
            if request.leadId > 0 {
                guard try await leads.lead(request.leadId, context) != nil else { throw DomainError.notFound("no lead with id \(request.leadId) that you may see") }
            } else {
                query.require("created_by = ?", [caller.userID])
            }
        }
        let page = try await database.read { [query] db in try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, record: MessageStore.record) }
        return CommsV1.ListMessagesResponse(messages: page.records.map(\.wire), nextPageToken: page.next?.token ?? "", totalCount: page.total)
    }

    func retryMessage(request: CommsV1.RetryMessageRequest, context: ServerContext) async throws -> CommsV1.Message {
        let caller = try context.caller()
        _ = try await visibleMessage(request.id, caller, context)
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard var message = try MessageStore.message(db, id: request.id) else { throw DomainError.notFound("no message with id \(request.id)") }
            guard message.status == .failed else {
                throw DomainError.failedPrecondition("message \(message.id) is \(message.status.rawValue); only a failed message is retried")
            }
            message.status = .queued
            message.attempts = 0
            message.nextAttemptAt = now
            try MessageStore.updateDelivery(db, message)
            try CommsEvents.append(db, .deliveryChanged, message, at: now)
            return message.wire
        }
    }

    func listEvents(request: CommsV1.ListEventsRequest, context: ServerContext) async throws -> CommsV1.ListEventsResponse {
        try EventFeed<CommsV1.CommsEvent>.requireReader(try context.caller())
        let (events, head) = try await feed.list(after: request.after, limit: request.limit)
        return CommsV1.ListEventsResponse(events: events, head: head)
    }

    func watchEvents(request: CommsV1.WatchEventsRequest, response: ResponseWriter<CommsV1.CommsEvent>, context: ServerContext) async throws {
        try EventFeed<CommsV1.CommsEvent>.requireReader(try context.caller())
        try await feed.watch(after: request.after, to: response)
    }
}

extension CommsHandler {
    /// Queues the reminders due at `now`: each to the activity's assignee, through the template
    /// named "Activity reminder", in the transaction that marks the reminder done. A reminder
    /// whose assignee has no e-mail, or whose template is gone or retired, is dropped and logged.
    func queueReminders(now: Int64, serviceContext: ServerContext, log: @Sendable (String) -> Void) async throws {
        let due = try await database.read { db in try ReminderStore.due(db, now: now, limit: 50) }
        guard !due.isEmpty else { return }
        guard let template = try await database.read({ db in
            try Row.fetchOne(db, sql: "SELECT * FROM template WHERE name = 'Activity reminder' AND active").map(TemplateStore.record)
        }) else {
            log("no active template named \"Activity reminder\": \(due.count) reminders dropped")
            try await database.write { db in for r in due { try ReminderStore.markSent(db, activityID: r.activityID, messageID: -1, startAt: r.startAt) } }
            return
        }
        let (_, configuration) = try await catalogue(serviceContext)
        let filler = Filler(self, serviceContext, configuration: configuration, sender: nil)
        for reminder in due {
            let assignee = try await filler.user(reminder.assigneeID)
            guard let assignee, !assignee.email.isEmpty, let lead = try await leads.lead(reminder.leadID, serviceContext) else {
                log("reminder of activity \(reminder.activityID) dropped: no assignee e-mail or no lead")
                try await database.write { db in try ReminderStore.markSent(db, activityID: reminder.activityID, messageID: -1, startAt: reminder.startAt) }
                continue
            }
            var values = LeadValues.values(lead: lead, configuration: configuration, owner: try await filler.user(lead.ownerId),
                                           assignee: try await filler.user(lead.assignedUserId), sender: nil, now: now)
            values["#activity.subject"] = reminder.subject
            values["#activity.start"] = Timestamp.format(reminder.startAt).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: ":00Z", with: " UTC")
            values["#activity.location"] = reminder.location
            values["#activity.assignee.name"] = assignee.name
            let rendered = Rendered(subject: TemplateText(template.subject), body: TemplateText(template.body), kind: template.bodyKind, values: values)
            let message = MessageRecord(
                leadID: lead.id, templateID: template.id, recipient: assignee.email, senderName: "CRM reminders", subject: rendered.subject,
                body: rendered.body, bodyKind: template.bodyKind, messageID: "", nextAttemptAt: now, createdBy: 0, createdAt: now)
            let domain = messageIDDomain
            try await database.write { db in
                let stored = try MessageStore.queue(db, message, domain: domain, at: now)
                try ReminderStore.markSent(db, activityID: reminder.activityID, messageID: stored.id, startAt: reminder.startAt)
            }
        }
    }
}
