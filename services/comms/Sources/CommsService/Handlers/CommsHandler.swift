import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import CommsDomain
import Foundation
import GRDB

/// crm-comms' RPCs. Authentication and error mapping are the kit's interceptors.
struct CommsHandler: CommsV1.Comms.ServiceProtocol {
    let database: ServiceDatabase
    let leads: LeadsReader
    let clock: WallClock
    /// The domain of generated Message-IDs ("crm.example" in "<42.1764...@crm.example>").
    let messageIDDomain: String
    /// Mass messages by filter in progress: each reads and renders up to 10,000 leads through
    /// crm-leads, so two run at once and four wait; more are RESOURCE_EXHAUSTED.
    let massSends = WorkLimit("mass messages", running: 2, waiting: 4)
    var feed: EventFeed<CommsV1.CommsEvent> { EventFeed(database: database) }

    // MARK: tags and templates

    func catalogue(_ context: ServerContext) async throws -> (TagCatalogue, LeadsV1.Configuration) {
        let configuration = try await leads.configuration(context)
        return (LeadValues.catalogue(configuration), configuration)
    }

    func listTags(request: CommsV1.ListTagsRequest, context: ServerContext) async throws -> CommsV1.ListTagsResponse {
        _ = try context.caller()
        let (catalogue, _) = try await catalogue(context)
        return CommsV1.ListTagsResponse(tags: catalogue.entries.map { CommsV1.Tag(name: $0.name, description: $0.description, example: $0.example) })
    }

    func validateTemplate(request: CommsV1.ValidateTemplateRequest, context: ServerContext) async throws -> CommsV1.ValidateTemplateResponse {
        _ = try context.caller()
        var v = Violations()
        CommsRules.subject.check(request.subject, field: "subject", into: &v)
        CommsRules.body.check(request.body, field: "body", into: &v)
        try v.check()
        let (catalogue, _) = try await catalogue(context)
        let subject = TemplateText(request.subject), body = TemplateText(request.body)
        let problems = subject.problems(part: "subject", catalogue: catalogue) + body.problems(part: "body", catalogue: catalogue)
        return CommsV1.ValidateTemplateResponse(tags: Self.tags(subject, body), problems: problems.map(\.wire))
    }

    static func tags(_ subject: TemplateText, _ body: TemplateText) -> [String] {
        var seen: Set<String> = []
        return (subject.tags + body.tags).filter { seen.insert($0).inserted }
    }

    /// A template as it may be saved: its texts within limits and every tag in the catalogue
    /// (one violation per problem, naming the part, offset and tag), or nothing is stored.
    func checked(_ t: TemplateRecord, _ context: ServerContext) async throws -> TemplateRecord {
        var v = Violations()
        CommsRules.check(name: t.name, subject: t.subject, body: t.body, prefix: "draft", into: &v)
        try v.check()
        let (catalogue, _) = try await catalogue(context)
        let subject = TemplateText(t.subject), body = TemplateText(t.body)
        for p in subject.problems(part: "subject", catalogue: catalogue) + body.problems(part: "body", catalogue: catalogue) {
            v.add("draft.\(p.part)", "\(p.tag) at offset \(p.offset) \(p.message)")
        }
        try v.check()
        var checked = t
        checked.tags = Self.tags(subject, body)
        return checked
    }

    func createTemplate(request: CommsV1.CreateTemplateRequest, context: ServerContext) async throws -> CommsV1.Template {
        let caller = try context.caller()
        try CommsRules.requireTemplateManager(caller)
        guard let draft = request.draft else { throw DomainError.invalid([Violation("draft", "is required")]) }
        guard let kind = BodyKind(draft.bodyKind) else { throw DomainError.invalid([Violation("draft.body_kind", "is not a known kind")]) }
        let now = clock.millis()
        let template = try await checked(TemplateRecord(
            name: draft.name.trimmingCharacters(in: .whitespaces), subject: draft.subject, body: draft.body, bodyKind: kind, tags: [],
            active: true, createdBy: caller.userID, createdAt: now, updatedAt: now), context)
        return try await database.mutate(context, caller: caller, now: now) { db in try TemplateStore.insert(db, template).wire }
    }

    func updateTemplate(request: CommsV1.UpdateTemplateRequest, context: ServerContext) async throws -> CommsV1.Template {
        let caller = try context.caller()
        try CommsRules.requireTemplateManager(caller)
        var v = Violations()
        let known: Set<String> = ["name", "subject", "body", "active", "body_kind"]
        let fields = Set(request.updateMask)
        if fields.isEmpty { v.add("update_mask", "must name the fields to change: \(known.sorted().joined(separator: ", "))") }
        for field in fields.subtracting(known).sorted().prefix(10) { v.add("update_mask", "names no field of TemplateInput: \(field.prefix(100))") }
        let draft = request.draft ?? CommsV1.TemplateInput()
        try v.check()
        guard var template = try await database.read({ db in try TemplateStore.template(db, id: request.id) }) else {
            throw DomainError.notFound("no template with id \(request.id)")
        }
        if fields.contains("name") { template.name = draft.name.trimmingCharacters(in: .whitespaces) }
        if fields.contains("subject") { template.subject = draft.subject }
        if fields.contains("body") { template.body = draft.body }
        if fields.contains("active") { template.active = draft.active }
        if fields.contains("body_kind") {
            guard let kind = BodyKind(draft.bodyKind) else { throw DomainError.invalid([Violation("draft.body_kind", "is not a known kind")]) }
            template.bodyKind = kind
        }
        let now = clock.millis()
        let changed = try await checked(template, context)
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard let stored = try TemplateStore.template(db, id: changed.id) else { throw DomainError.notFound("no template with id \(changed.id)") }
            guard request.version == 0 || request.version == stored.version else {
                throw DomainError.stale("template \(stored.id) changed since it was read (version \(stored.version), not \(request.version))")
            }
            var next = changed
            next.version = stored.version + 1
            next.updatedAt = now
            try TemplateStore.update(db, next)
            return next.wire
        }
    }

    func getTemplate(request: CommsV1.GetTemplateRequest, context: ServerContext) async throws -> CommsV1.Template {
        _ = try context.caller()
        guard let template = try await database.read({ db in try TemplateStore.template(db, id: request.id) }) else {
            throw DomainError.notFound("no template with id \(request.id)")
        }
        return template.wire
    }

    func listTemplates(request: CommsV1.ListTemplatesRequest, context: ServerContext) async throws -> CommsV1.ListTemplatesResponse {
        let caller = try context.caller()
        var v = Violations()
        let limit = PageSize.resolve(request.pageSize, into: &v)
        TextLimit(characters: 200).check(request.text, field: "text", into: &v)
        var query = ListQuery(table: "template", order: [(.init("name", text: true), false)])
        if request.activeOnly { query.require("active") }
        if !request.text.isEmpty {
            let pattern = "%" + request.text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            query.require("name LIKE ? ESCAPE '\\'", [pattern])
        }
        let fingerprint = PageCursor.fingerprint(of: request, caller: caller) { $0.pageToken = ""; $0.pageSize = 0 }
        let cursor = PageCursor.decode(request.pageToken, query: fingerprint, into: &v)
        try v.check()
        let page = try await database.read { [query] db in try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, record: TemplateStore.record) }
        return CommsV1.ListTemplatesResponse(templates: page.records.map(\.wire), nextPageToken: page.next?.token ?? "")
    }

    func deleteTemplate(request: CommsV1.DeleteTemplateRequest, context: ServerContext) async throws -> CommsV1.DeleteTemplateResponse {
        let caller = try context.caller()
        try CommsRules.requireTemplateManager(caller)
        return try await database.mutate(context, caller: caller, now: clock.millis()) { db in
            guard let stored = try TemplateStore.template(db, id: request.id) else { throw DomainError.notFound("no template with id \(request.id)") }
            guard request.version == 0 || request.version == stored.version else {
                throw DomainError.stale("template \(stored.id) changed since it was read (version \(stored.version), not \(request.version))")
            }
            try TemplateStore.delete(db, id: stored.id)  // messages keep the text they were sent with
            return CommsV1.DeleteTemplateResponse()
        }
    }
}
