/// A problem to resolve, with a priority, a status and attached files.
public struct IncidentRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var title: String
    public var assigneeID: Int64
    public var assigneeUnitID: Int64 = 0
    public var typeID: Int64
    public var description: String = ""
    /// An http or https URL, or empty.
    public var link: String = ""
    public var startAt: Int64 = 0
    /// 0 while ongoing.
    public var endAt: Int64 = 0
    public var priority: IncidentPriority = .medium
    public var status: IncidentStatus = .new
    /// 0 for none.
    public var leadID: Int64 = 0
    public var version: Int64 = 1
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0
    public var updatedAt: Int64 = 0

    public init(title: String, assigneeID: Int64, typeID: Int64) {
        self.title = title
        self.assigneeID = assigneeID
        self.typeID = typeID
    }
}

/// A file attached to an incident, stored with its digest.
public struct AttachmentRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var incidentID: Int64
    public var fileName: String
    public var contentType: String
    public var sizeBytes: Int64
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0

    public init(incidentID: Int64, fileName: String, contentType: String, sizeBytes: Int64, sha256: String) {
        self.incidentID = incidentID
        self.fileName = fileName
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
    }
}

/// A link between two of lead, activity, task and incident. Stored with its ends in order, so
/// (a, b) and (b, a) are the same link.
public struct LinkRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var a: EntityReference
    public var b: EntityReference
    public var createdBy: Int64 = 0
    public var createdAt: Int64 = 0

    public init(_ x: EntityReference, _ y: EntityReference) {
        (a, b) = x < y ? (x, y) : (y, x)
    }
}
