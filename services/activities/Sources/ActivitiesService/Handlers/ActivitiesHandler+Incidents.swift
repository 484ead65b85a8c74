import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Crypto
import Foundation
import GRDB

extension ActivitiesHandler {
    func createIncident(request: ActivitiesV1.CreateIncidentRequest, context: ServerContext) async throws -> ActivitiesV1.Incident {
        let caller = try context.caller()
        guard let input = request.incident else { throw DomainError.invalid([Violation("incident", "is required")]) }
        let now = clock.millis()
        var v = Violations()
        var incident = IncidentRecord(title: input.title, assigneeID: input.assigneeId, typeID: input.typeId)
        incident.description = input.description
        incident.link = input.link
        incident.startAt = input.startAt == 0 ? now : input.startAt
        incident.endAt = input.endAt
        incident.leadID = input.leadId
        if input.priority != .unspecified {
            if let priority = IncidentPriority(input.priority) { incident.priority = priority } else { v.add("incident.priority", "is not a known priority") }
        }
        if input.status != .unspecified {
            if let status = IncidentStatus(input.status) { incident.status = status } else { v.add("incident.status", "is not a known status") }
        }
        WorkRules.check(incident, into: &v)
        if input.assigneeId < 0 { v.add("incident.assignee_id", "must not be negative") }
        try v.check()
        (incident.assigneeID, incident.assigneeUnitID) = try await assignee(input.assigneeId, field: "incident.assignee_id", caller, context)
        if incident.leadID != 0 { _ = try await visibleLead(incident.leadID, context) }
        incident.createdBy = caller.userID
        incident.createdAt = now
        incident.updatedAt = now
        return try await database.mutate(context, caller: caller, now: now) { [incident] db in
            _ = try WorkTypeStore.usable(db, id: incident.typeID, scope: .incident, field: "incident.type_id")
            let saved = try IncidentStore.insert(db, incident)
            let wire = saved.wire(attachments: [])
            try Self.append(db, .created, EntityReference(.incident, saved.id), actor: caller.userID, at: now, .incident(wire))
            return wire
        }
    }

    func getIncident(request: ActivitiesV1.GetRequest, context: ServerContext) async throws -> ActivitiesV1.Incident {
        let caller = try context.caller()
        try Self.requireID(request.id)
        let incident = try await visibleIncident(request.id, caller, context)
        let attachments = try await database.read { db in try AttachmentStore.attachments(db, incidentID: incident.id) }
        return incident.wire(attachments: attachments)
    }

    func visibleIncident(_ id: Int64, _ caller: Caller, _ context: ServerContext) async throws -> IncidentRecord {
        guard let incident = try await database.read({ db in try IncidentStore.incident(db, id: id) }),
              try await sees(caller, assigneeID: incident.assigneeID, assigneeUnitID: incident.assigneeUnitID, createdBy: incident.createdBy, leadID: incident.leadID, context)
        else { throw DomainError.notFound("no incident with id \(id)") }
        return incident
    }

    func updateIncident(request: ActivitiesV1.UpdateIncidentRequest, context: ServerContext) async throws -> ActivitiesV1.Incident {
        let caller = try context.caller()
        try Self.requireID(request.id)
        var v = Violations()
        let fields = Self.mask(request.updateMask, of: "IncidentInput",
                               known: ["title", "assignee_id", "type_id", "description", "link", "start_at", "end_at", "priority", "status", "lead_id"], into: &v)
        let input = request.incident ?? ActivitiesV1.IncidentInput()
        try v.check()
        let current = try await visibleIncident(request.id, caller, context)
        try WorkRules.requireNotClosed(current.status, what: "incident \(current.id)")
        var changed = current
        if fields.contains("title") { changed.title = input.title }
        if fields.contains("type_id") { changed.typeID = input.typeId }
        if fields.contains("description") { changed.description = input.description }
        if fields.contains("link") { changed.link = input.link }
        if fields.contains("start_at") { changed.startAt = input.startAt }
        if fields.contains("end_at") { changed.endAt = input.endAt }
        if fields.contains("lead_id") { changed.leadID = input.leadId }
        if fields.contains("priority") {
            if let priority = IncidentPriority(input.priority) { changed.priority = priority } else { v.add("incident.priority", "must be high, medium or low") }
        }
        if fields.contains("status") {
            if let status = IncidentStatus(input.status) { changed.status = status } else { v.add("incident.status", "is not a known status") }
        }
        WorkRules.check(changed, into: &v)
        try v.check()
        if fields.contains("assignee_id") {
            (changed.assigneeID, changed.assigneeUnitID) = try await assignee(input.assigneeId, field: "incident.assignee_id", caller, context)
        }
        if fields.contains("lead_id") && changed.leadID != 0 { _ = try await visibleLead(changed.leadID, context) }
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { [changed] db in
            guard let stored = try IncidentStore.incident(db, id: changed.id) else { throw DomainError.notFound("no incident with id \(changed.id)") }
            try WorkRules.requireVersion(request.version, current: stored.version, what: "incident \(stored.id)")
            try WorkRules.requireNotClosed(stored.status, what: "incident \(stored.id)")
            if fields.contains("type_id") { _ = try WorkTypeStore.usable(db, id: changed.typeID, scope: .incident, field: "incident.type_id") }
            var next = changed
            next.version = stored.version + 1
            next.updatedAt = now
            try IncidentStore.update(db, next)
            let wire = next.wire(attachments: try AttachmentStore.attachments(db, incidentID: next.id))
            try Self.append(db, .updated, EntityReference(.incident, next.id), actor: caller.userID, at: now, .incident(wire))
            return wire
        }
    }

    func deleteIncident(request: ActivitiesV1.DeleteIncidentRequest, context: ServerContext) async throws -> ActivitiesV1.DeleteResponse {
        let caller = try context.caller()
        try Self.requireID(request.id)
        _ = try await visibleIncident(request.id, caller, context)
        return try await deleteWork(id: request.id, version: request.version, kind: .incident, caller, context,
                                    stored: { db, id in try IncidentStore.incident(db, id: id)?.version }, remove: { db, id in try IncidentStore.delete(db, id: id) })
    }

    static let incidentSorts: [String: ListQuery.SortColumn] = [
        "created_at": .init("created_at"), "updated_at": .init("updated_at"), "start_at": .init("start_at"),
        "end_at": .init("end_at"), "priority": .init("priority_rank"), "status": .init("status", text: true),
        "title": .init("title", text: true), "assignee_id": .init("assignee_id"), "id": .init("id"),
    ]

    func listIncidents(request: ActivitiesV1.ListIncidentsRequest, context: ServerContext) async throws -> ActivitiesV1.ListIncidentsResponse {
        let caller = try context.caller()
        let filter = request.filter ?? ActivitiesV1.IncidentFilter()
        var v = Violations()
        let limit = PageSize.resolve(request.pageSize, into: &v)
        let order = ListQuery.order(Self.sortKeys(request.sort), allowed: Self.incidentSorts, default: [(.init("created_at"), true)], into: &v)
        var query = ListQuery(table: "incident", order: order)
        if filter.leadId < 0 { v.add("filter.lead_id", "must not be negative") }
        if filter.leadId > 0 { query.require("lead_id = ?", [filter.leadId]) }
        query.require("assignee_id", in: Self.ids(filter.assigneeIds, field: "filter.assignee_ids", into: &v))
        if filter.mine { query.require("assignee_id = ?", [caller.userID]) }
        query.require("status", in: Self.values(filter.statuses, field: "filter.statuses", IncidentStatus.init, into: &v).map(\.rawValue))
        query.require("priority", in: Self.values(filter.priorities, field: "filter.priorities", IncidentPriority.init, into: &v).map(\.rawValue))
        query.require("type_id", in: Self.ids(filter.typeIds, field: "filter.type_ids", into: &v))
        Self.range(filter.start, column: "start_at", field: "filter.start", to: &query, into: &v)
        TextLimit(characters: 200).check(filter.text, field: "filter.text", into: &v)
        let words = filter.text.split(whereSeparator: \.isWhitespace).prefix(10)
        for word in words {
            let pattern = "%" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            query.require("title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\'", [pattern, pattern])
        }
        let (fingerprint, cursor) = Self.pageStart(request, caller, into: &v)
        try v.check()
        try await restrict(&query, leadID: filter.leadId, caller, context)
        let (incidents, attachments) = try await database.read { [query] db -> ((records: [IncidentRecord], next: PageCursor?, total: Int64), [Int64: [AttachmentRecord]]) in
            let page = try query.page(db, after: cursor, limit: limit, fingerprint: fingerprint, record: IncidentStore.record)
            var attachments: [Int64: [AttachmentRecord]] = [:]
            for incident in page.records { attachments[incident.id] = try AttachmentStore.attachments(db, incidentID: incident.id) }
            return (page, attachments)
        }
        return ActivitiesV1.ListIncidentsResponse(
            incidents: incidents.records.map { $0.wire(attachments: attachments[$0.id] ?? []) },
            nextPageToken: incidents.next?.token ?? "", totalCount: incidents.total)
    }

    // MARK: attachments

    func addAttachment(request: ActivitiesV1.AddAttachmentRequest, context: ServerContext) async throws -> ActivitiesV1.Attachment {
        let caller = try context.caller()
        try Self.requireID(request.incidentId, field: "incident_id")
        var v = Violations()
        AttachmentRules.check(fileName: request.fileName, contentType: request.contentType, size: request.content.count, into: &v)
        try v.check()
        let incident = try await visibleIncident(request.incidentId, caller, context)
        try WorkRules.requireNotClosed(incident.status, what: "incident \(incident.id)")
        let now = clock.millis()
        let digest = SHA256.hash(data: request.content).map { String(format: "%02x", $0) }.joined()
        var attachment = AttachmentRecord(incidentID: incident.id, fileName: request.fileName, contentType: request.contentType.lowercased(), sizeBytes: Int64(request.content.count), sha256: digest)
        attachment.createdBy = caller.userID
        attachment.createdAt = now
        return try await database.mutate(context, caller: caller, now: now) { [attachment] db in
            guard var stored = try IncidentStore.incident(db, id: attachment.incidentID) else { throw DomainError.notFound("no incident with id \(attachment.incidentID)") }
            try WorkRules.requireNotClosed(stored.status, what: "incident \(stored.id)")
            // An incident's files together stay within a few frames: they are read back one by one.
            let total = try AttachmentStore.totalBytes(db, incidentID: stored.id) + attachment.sizeBytes
            guard total <= Int64(AttachmentRules.maxBytes) * 10 else {
                throw DomainError.failedPrecondition("incident \(stored.id) would hold \(total) bytes of attachments; at most 30 MiB in all")
            }
            let saved = try AttachmentStore.insert(db, attachment, content: request.content)
            stored.version += 1
            stored.updatedAt = now
            try IncidentStore.update(db, stored)
            let wire = stored.wire(attachments: try AttachmentStore.attachments(db, incidentID: stored.id))
            try Self.append(db, .updated, EntityReference(.incident, stored.id), actor: caller.userID, at: now, .incident(wire))
            return saved.wire
        }
    }

    func getAttachmentContent(request: ActivitiesV1.GetAttachmentContentRequest, context: ServerContext) async throws -> ActivitiesV1.AttachmentContent {
        let caller = try context.caller()
        try Self.requireID(request.id)
        guard let attachment = try await database.read({ db in try AttachmentStore.attachment(db, id: request.id) }) else {
            throw DomainError.notFound("no attachment with id \(request.id)")
        }
        do {
            _ = try await visibleIncident(attachment.incidentID, caller, context)
        } catch DomainError.notFound {
            throw DomainError.notFound("no attachment with id \(request.id)")
        }
        guard let content = try await database.read({ db in try AttachmentStore.content(db, id: request.id) }) else {
            throw DomainError.notFound("no attachment with id \(request.id)")
        }
        return ActivitiesV1.AttachmentContent(attachment: attachment.wire, content: content)
    }

    func deleteAttachment(request: ActivitiesV1.DeleteAttachmentRequest, context: ServerContext) async throws -> ActivitiesV1.DeleteResponse {
        let caller = try context.caller()
        try Self.requireID(request.id)
        guard let attachment = try await database.read({ db in try AttachmentStore.attachment(db, id: request.id) }) else {
            throw DomainError.notFound("no attachment with id \(request.id)")
        }
        let incident: IncidentRecord
        do {
            incident = try await visibleIncident(attachment.incidentID, caller, context)
        } catch DomainError.notFound {
            throw DomainError.notFound("no attachment with id \(request.id)")
        }
        try WorkRules.requireNotClosed(incident.status, what: "incident \(incident.id)")
        let now = clock.millis()
        return try await database.mutate(context, caller: caller, now: now) { db in
            guard var stored = try IncidentStore.incident(db, id: attachment.incidentID) else { throw DomainError.notFound("no attachment with id \(request.id)") }
            try AttachmentStore.delete(db, id: request.id)
            stored.version += 1
            stored.updatedAt = now
            try IncidentStore.update(db, stored)
            let wire = stored.wire(attachments: try AttachmentStore.attachments(db, incidentID: stored.id))
            try Self.append(db, .updated, EntityReference(.incident, stored.id), actor: caller.userID, at: now, .incident(wire))
            return ActivitiesV1.DeleteResponse()
        }
    }
}
