import CRMDomain

/// Which leads a list shows, in which order: the domain's reading of ListLeads.
public struct LeadQuery: Sendable {
    public enum View: Sendable, Hashable { case visible, mine, unit, all, unread, converted, recentlyCreated }

    public struct Range: Sendable, Hashable {
        public var from: Int64 = 0
        public var to: Int64 = 0
        public var isEmpty: Bool { from == 0 && to == 0 }

        public init(from: Int64 = 0, to: Int64 = 0) {
            self.from = from
            self.to = to
        }
    }

    public var view: View = .visible
    public var words: [String] = []
    public var countries: [String] = []
    public var regions: [String] = []
    public var provinces: [String] = []
    public var postalCodes: [String] = []
    public var campaigns: [String] = []
    public var channels: [String] = []
    public var locales: [String] = []
    public var sourceTypeIDs: [Int64] = []
    public var typeIDs: [Int64] = []
    public var categoryIDs: [Int64] = []
    public var statusIDs: [Int64] = []
    public var states: [LifecycleState] = []
    public var ownerIDs: [Int64] = []
    public var assignedUnitIDs: [Int64] = []
    public var assignedUserIDs: [Int64] = []
    public var created = Range()
    public var updated = Range()
    public var contactOn = Range()
    public var expectedCompletion = Range()
    public var overdueAsOf: Int64? = nil
    public var unassignedOnly = false
    public var importedOnly = false
    public var minPriority: Int32 = 0
    public var minImportance: Int32 = 0
    public var ids: [Int64] = []
    public var customConditions: [CustomCondition] = []
    public var sort: [(field: String, descending: Bool)] = []

    /// A condition on a custom field: equal to one of `equals` (text ignoring case), and within
    /// `min`...`max` for numbers and dates.
    public struct CustomCondition: Sendable, Hashable {
        public var key: String
        public var type: CustomFieldType
        public var equals: [LeadRecord.CustomValue] = []
        public var min: LeadRecord.CustomValue? = nil
        public var max: LeadRecord.CustomValue? = nil

        public init(key: String, type: CustomFieldType, equals: [LeadRecord.CustomValue] = [], min: LeadRecord.CustomValue? = nil, max: LeadRecord.CustomValue? = nil) {
            self.key = key
            self.type = type
            self.equals = equals
            self.min = min
            self.max = max
        }
    }

    public init() {}

    /// The Lead fields a list may sort on.
    public static let sortable: Set<String> = [
        "id", "full_name", "company", "country", "region", "province", "postal_code", "locale", "campaign", "channel",
        "source_type_id", "type_id", "category_id", "status_id", "state", "priority", "importance", "probability", "score",
        "owner_id", "assigned_unit_id", "assigned_user_id", "last_contacted_at", "contact_on", "started_at",
        "expected_completion_at", "completed_at", "created_at", "updated_at",
    ]
}
