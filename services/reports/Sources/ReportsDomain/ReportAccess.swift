import CRMDomain

/// Who may read which report. All Leads and the aggregates are for management: admins and sales
/// managers see every lead, a unit manager her unit's (owned by or assigned to its members, or
/// assigned to the unit), as crm-leads shows them; My Leads is anyone's own.
public enum ReportAccess {
    public enum Scope: Sendable, Hashable {
        case everyLead
        case unit(Int64)
    }

    /// The leads a management report covers for `caller`, or PERMISSION_DENIED.
    public static func managementScope(_ caller: Caller, report: String) throws(DomainError) -> Scope {
        switch caller.role {
        case .admin, .salesManager, .service: return .everyLead
        case .unitManager:
            guard caller.unitID != 0 else { throw DomainError.permissionDenied("\(report) of a unit needs a unit: this unit manager belongs to none") }
            return .unit(caller.unitID)
        case .agent:
            throw DomainError.permissionDenied("\(report) is for managers and admins; an agent's own leads are in My Leads")
        }
    }
}
