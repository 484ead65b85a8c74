import CRMDomain

/// Merging duplicates: the kept lead gains what the other knows (contacts, empty fields, team,
/// competitors, products, custom fields, conversion links); the other is closed as CANCELLED
/// with `mergedIntoID` pointing at the kept one. Notes and history are moved by the store.
public struct LeadMerge: Sendable {
    public let configuration: LeadConfiguration
    public let now: Int64

    public init(configuration: LeadConfiguration, now: Int64) {
        self.configuration = configuration
        self.now = now
    }

    /// Both leads after the merge, or why they may not be merged.
    public func merge(keep: LeadRecord, into other: LeadRecord, caller: Caller) throws(DomainError) -> (kept: LeadRecord, merged: LeadRecord) {
        guard keep.id != other.id else { throw DomainError.invalid([Violation("merge_id", "must be another lead than keep_id")]) }
        for lead in [keep, other] where lead.mergedIntoID != 0 {
            throw DomainError.failedPrecondition("lead \(lead.id) was already merged into lead \(lead.mergedIntoID)")
        }
        guard !other.state.isFinal else {
            throw DomainError.failedPrecondition("a \(other.state.rawValue) lead cannot be merged into another; merge the other lead into it instead")
        }
        if caller.role == .agent && !([keep, other].allSatisfy { $0.ownerID == caller.userID || $0.assignedUserID == caller.userID }) {
            throw DomainError.permissionDenied("an agent merges only leads they own or are assigned")
        }
        if !keep.conversion.isEmpty && !other.conversion.isEmpty {
            throw DomainError.failedPrecondition("both leads were converted; a lead keeps the links of one conversion only")
        }

        var kept = keep
        kept.emails = Array((keep.emails + other.emails).uniqued().prefix(10))
        kept.phones = Array((keep.phones + other.phones).uniqued().prefix(10))
        let fillable: [WritableKeyPath<LeadRecord, String>] = [
            \.company, \.login, \.partner, \.location, \.country, \.region, \.province, \.postalCode, \.locale, \.campaign, \.channel, \.source,
        ]
        for field in fillable where kept[keyPath: field].isEmpty { kept[keyPath: field] = other[keyPath: field] }
        if kept.sourceTypeID == 0 { kept.sourceTypeID = other.sourceTypeID }
        if kept.categoryID == 0, configuration.type(kept.typeID)?.categoryIDs.contains(other.categoryID) == true { kept.categoryID = other.categoryID }
        if kept.targetAmount == nil { kept.targetAmount = other.targetAmount }
        if kept.contactOn == 0 { kept.contactOn = other.contactOn }
        kept.lastContactedAt = max(keep.lastContactedAt, other.lastContactedAt)
        kept.teamUserIDs = Array((keep.teamUserIDs + other.teamUserIDs).uniqued().prefix(20))
        kept.competitorIDs = Array((keep.competitorIDs + other.competitorIDs).uniqued().prefix(20))
        kept.products = Array((keep.products + other.products).uniqued().prefix(50))
        let keysOfType = Set(configuration.customFields.filter { $0.active && ($0.leadTypeIDs.isEmpty || $0.leadTypeIDs.contains(keep.typeID)) }.map(\.key))
        for (key, value) in other.customFields where kept.customFields[key] == nil && keysOfType.contains(key) {
            kept.customFields[key] = value
        }
        if kept.conversion.isEmpty { kept.conversion = other.conversion }

        var merged = other
        merged.mergedIntoID = keep.id
        merged.conversion = ConversionLinks()
        merged.state = .cancelled
        merged.completedAt = now
        if let type = configuration.type(other.typeID),
           let cancelled = type.statusIDs.first(where: { configuration.status($0)?.state == .cancelled }) {
            merged.statusID = cancelled
        }
        return (kept, merged)
    }
}
