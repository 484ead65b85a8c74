/// What kind of thing an activity is; types are configurable within these kinds.
public enum ActivityKind: String, Sendable, Hashable, CaseIterable {
    case appointment, call, meeting, other
}

/// Whether an activity or task still needs doing. Open work blocks closing its lead.
public enum WorkStatus: String, Sendable, Hashable, CaseIterable {
    case open, completed, cancelled
}

/// An incident's priority.
public enum IncidentPriority: String, Sendable, Hashable, CaseIterable {
    case high, medium, low

    /// Its rank for sorting: high first.
    public var rank: Int {
        switch self {
        case .high: 1
        case .medium: 2
        case .low: 3
        }
    }
}

/// An incident's status. CLOSED is final.
public enum IncidentStatus: String, Sendable, Hashable, CaseIterable {
    case new, notStarted = "not_started", inProgress = "in_progress", waiting, postponed, completed, closed
}

/// Which list a configurable type belongs to.
public enum TypeScope: String, Sendable, Hashable, CaseIterable {
    case activity, task, incident
}

/// What a link or a reference points at.
public enum WorkEntity: String, Sendable, Hashable, CaseIterable {
    case lead, activity, task, incident
}

/// One end of a link.
public struct EntityReference: Sendable, Hashable, Comparable {
    public var kind: WorkEntity
    public var id: Int64

    public init(_ kind: WorkEntity, _ id: Int64) {
        self.kind = kind
        self.id = id
    }

    public static func < (a: EntityReference, b: EntityReference) -> Bool {
        (a.kind.rawValue, a.id) < (b.kind.rawValue, b.id)
    }
}
