import CRMDomain
import Foundation

/// A configurable type of activity, task or incident, such as "Site visit".
public struct WorkTypeRecord: Sendable, Hashable {
    public var id: Int64
    public var scope: TypeScope
    public var name: String
    /// For activity types: the kind; nil otherwise.
    public var activityKind: ActivityKind?
    /// False once retired: kept for the work that uses it, offered for no new work.
    public var active: Bool
    public var version: Int64

    public init(id: Int64 = 0, scope: TypeScope, name: String, activityKind: ActivityKind? = nil, active: Bool = true, version: Int64 = 0) {
        self.id = id
        self.scope = scope
        self.name = name
        self.activityKind = activityKind
        self.active = active
        self.version = version
    }

    static let nameLimit = TextLimit(characters: 100, required: true)

    /// The type as it may be saved: a name of 1-100 characters, trimmed, and a kind exactly
    /// when it is an activity type.
    public static func checked(_ type: WorkTypeRecord) throws(DomainError) -> WorkTypeRecord {
        var v = Violations()
        var type = type
        type.name = type.name.trimmingCharacters(in: .whitespaces)
        nameLimit.check(type.name, field: "work_type.name", into: &v)
        switch (type.scope, type.activityKind) {
        case (.activity, nil): v.add("work_type.activity_kind", "is required for an activity type")
        case (.activity, _): break
        case (_, .some): v.add("work_type.activity_kind", "is only for activity types")
        case (_, nil): break
        }
        try v.check()
        return type
    }
}
