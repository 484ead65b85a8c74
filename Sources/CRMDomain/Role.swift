/// What a signed-in user may do (docs/ARCHITECTURE.md, security). Tokens carry it, so every service checks
/// roles locally.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Everything, including configuration and users.
    case admin
    /// Sees all leads; reassigns to units and channels.
    case salesManager = "sales_manager"
    /// Sees and reassigns the leads of their own unit.
    case unitManager = "unit_manager"
    /// Sees their own leads and the unaccepted leads of their unit.
    case agent
    /// Another service, calling on its own behalf.
    case service

    /// Sees every lead.
    public var seesAllLeads: Bool { self == .admin || self == .salesManager || self == .service }
}
