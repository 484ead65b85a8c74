import CRMDomain
import CRMWire

// Roles between the wire (the leads contract, which owns users) and the domain.
extension Role {
    public init?(_ wire: LeadsV1.Role) {
        switch wire {
        case .admin: self = .admin
        case .salesManager: self = .salesManager
        case .unitManager: self = .unitManager
        case .agent: self = .agent
        case .service: self = .service
        case .unspecified, .unrecognized: return nil
        }
    }

    public var wire: LeadsV1.Role {
        switch self {
        case .admin: .admin
        case .salesManager: .salesManager
        case .unitManager: .unitManager
        case .agent: .agent
        case .service: .service
        }
    }
}
