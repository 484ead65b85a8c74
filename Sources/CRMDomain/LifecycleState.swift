/// Where a lead is in its life: every status maps to one of these. crm-leads enforces the
/// moves between them; crm-reports groups its pipeline and conversion by them.
public enum LifecycleState: String, Sendable, Hashable, CaseIterable, Codable {
    case pending, inProgress = "in_progress", won, lost, cancelled

    public var isFinal: Bool { self == .won || self == .lost || self == .cancelled }
    public var isOpen: Bool { !isFinal }
}
