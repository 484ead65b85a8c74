import ActivitiesDomain
import CRMDomain
import CRMWire

// The domain's values on the wire (ActivitiesV1) and back. Unknown or unset enum values map to
// nil, which the handlers refuse naming the field.

extension ActivityKind {
    init?(_ wire: ActivitiesV1.ActivityKind) {
        switch wire {
        case .appointment: self = .appointment
        case .call: self = .call
        case .meeting: self = .meeting
        case .other: self = .other
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: ActivitiesV1.ActivityKind {
        switch self {
        case .appointment: .appointment
        case .call: .call
        case .meeting: .meeting
        case .other: .other
        }
    }
}

extension WorkStatus {
    init?(_ wire: ActivitiesV1.WorkStatus) {
        switch wire {
        case .open: self = .open
        case .completed: self = .completed
        case .cancelled: self = .cancelled
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: ActivitiesV1.WorkStatus {
        switch self {
        case .open: .open
        case .completed: .completed
        case .cancelled: .cancelled
        }
    }
}

extension IncidentPriority {
    init?(_ wire: ActivitiesV1.IncidentPriority) {
        switch wire {
        case .high: self = .high
        case .medium: self = .medium
        case .low: self = .low
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: ActivitiesV1.IncidentPriority {
        switch self {
        case .high: .high
        case .medium: .medium
        case .low: .low
        }
    }
}

extension IncidentStatus {
    init?(_ wire: ActivitiesV1.IncidentStatus) {
        switch wire {
        case .new: self = .new
        case .notStarted: self = .notStarted
        case .inProgress: self = .inProgress
        case .waiting: self = .waiting
        case .postponed: self = .postponed
        case .completed: self = .completed
        case .closed: self = .closed
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: ActivitiesV1.IncidentStatus {
        switch self {
        case .new: .new
        case .notStarted: .notStarted
        case .inProgress: .inProgress
        case .waiting: .waiting
        case .postponed: .postponed
        case .completed: .completed
        case .closed: .closed
        }
    }
}

extension TypeScope {
    init?(_ wire: ActivitiesV1.TypeScope) {
        switch wire {
        case .activity: self = .activity
        case .task: self = .task
        case .incident: self = .incident
        case .unspecified, .unrecognized: return nil
        }
    }

    var wire: ActivitiesV1.TypeScope {
        switch self {
        case .activity: .activity
        case .task: .task
        case .incident: .incident
        }
    }
}

extension EntityReference {
    init?(_ wire: RpcV1.EntityRef?) {
        guard let wire, wire.id > 0 else { return nil }
        switch wire.kind {
        case .lead: self.init(.lead, wire.id)
        case .activity: self.init(.activity, wire.id)
        case .task: self.init(.task, wire.id)
        case .incident: self.init(.incident, wire.id)
        default: return nil
        }
    }

    var wire: RpcV1.EntityRef {
        let kind: RpcV1.EntityKind = switch self.kind {
        case .lead: .lead
        case .activity: .activity
        case .task: .task
        case .incident: .incident
        }
        return RpcV1.EntityRef(kind: kind, id: id)
    }
}

extension WorkTypeRecord {
    var wire: ActivitiesV1.WorkType {
        ActivitiesV1.WorkType(id: id, scope: scope.wire, name: name, activityKind: activityKind?.wire ?? .unspecified, active: active, version: version)
    }
}

extension ActivityRecord {
    func wire(now: Int64) -> ActivitiesV1.Activity {
        ActivitiesV1.Activity(
            id: id, leadId: leadID, typeId: typeID, kind: kind.wire, subject: subject, description: description,
            startAt: startAt, endAt: endAt, location: location, assigneeId: assigneeID, status: status.wire, outcome: outcome,
            closedAt: closedAt, timeOverdueMs: overdue(at: now), version: version, createdBy: createdBy, createdAt: createdAt,
            updatedAt: updatedAt, leadFullName: lead.fullName, leadCompany: lead.company, leadEmail: lead.email, leadPhone: lead.phone)
    }
}

extension TaskRecord {
    func wire(now: Int64) -> ActivitiesV1.Task {
        ActivitiesV1.Task(
            id: id, title: title, description: description, typeId: typeID, assigneeId: assigneeID, dueAt: dueAt,
            status: status.wire, leadId: leadID, closedAt: closedAt, timeOverdueMs: overdue(at: now), version: version,
            createdBy: createdBy, createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension IncidentRecord {
    func wire(attachments: [AttachmentRecord]) -> ActivitiesV1.Incident {
        ActivitiesV1.Incident(
            id: id, title: title, assigneeId: assigneeID, typeId: typeID, description: description, link: link,
            startAt: startAt, endAt: endAt, priority: priority.wire, status: status.wire,
            attachments: attachments.map(\.wire), leadId: leadID, version: version, createdBy: createdBy,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension AttachmentRecord {
    var wire: ActivitiesV1.Attachment {
        ActivitiesV1.Attachment(
            id: id, incidentId: incidentID, fileName: fileName, contentType: contentType, sizeBytes: sizeBytes,
            sha256: sha256, createdBy: createdBy, createdAt: createdAt)
    }
}

extension LinkRecord {
    var wire: ActivitiesV1.Link {
        ActivitiesV1.Link(id: id, a: a.wire, b: b.wire, createdBy: createdBy, createdAt: createdAt)
    }
}


