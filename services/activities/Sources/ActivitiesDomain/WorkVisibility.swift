import CRMDomain

/// Who sees which work: the roles of leads. Managers, admins and services see all of it; a
/// unit manager what is assigned within their unit; anyone what is assigned to them or what
/// they created; and anyone the work of a lead they may see (crm-leads decides that).
public enum WorkVisibility {
    /// Whether `caller` sees work with these owners without asking about its lead.
    public static func seesDirectly(_ caller: Caller, assigneeID: Int64, assigneeUnitID: Int64, createdBy: Int64) -> Bool {
        if caller.role.seesAllLeads { return true }
        if assigneeID == caller.userID || createdBy == caller.userID { return true }
        return caller.role == .unitManager && caller.unitID != 0 && assigneeUnitID == caller.unitID
    }

    /// Who may change the work types.
    public static func requireAdmin(_ caller: Caller) throws(DomainError) {
        guard caller.role == .admin else { throw DomainError.permissionDenied("only an admin changes the work types") }
    }

    /// Who may assign work to someone else: managers, admins, a unit manager within the unit.
    public static func mayAssign(_ caller: Caller, to assigneeID: Int64, assigneeUnitID: Int64) -> Bool {
        if assigneeID == caller.userID || caller.role.seesAllLeads { return true }
        return caller.role == .unitManager && caller.unitID != 0 && assigneeUnitID == caller.unitID
    }
}
