import ActivitiesDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire

/// What crm-activities asks crm-leads, on the caller's behalf (their token is valid there):
/// whether a lead exists and the caller may see it, who a user is, and whether the caller's
/// account is still active. Every question fails closed: when crm-leads cannot answer, the
/// call is UNAVAILABLE, never allowed.
public struct LeadsPeer: Sendable {
    /// The lead as the caller may see it, or nil when it does not exist or is hidden from them.
    public var lead: @Sendable (_ id: Int64, _ context: ServerContext) async throws -> LeadSummary?
    /// A user's unit, or nil when there is no such active user.
    public var userUnit: @Sendable (_ id: Int64, _ context: ServerContext) async throws -> Int64?
    /// The caller as their account stands now, or nil when deactivated or gone.
    public var account: CallerDirectory.Lookup

    public init(
        lead: @escaping @Sendable (Int64, ServerContext) async throws -> LeadSummary?,
        userUnit: @escaping @Sendable (Int64, ServerContext) async throws -> Int64?,
        account: @escaping CallerDirectory.Lookup
    ) {
        self.lead = lead
        self.userUnit = userUnit
        self.account = account
    }

    /// Asks the crm-leads at `client`.
    public static func rpc(_ client: RPCClient) -> LeadsPeer {
        LeadsPeer(
            lead: { id, context in
                do {
                    let lead = try await LeadsV1.Leads.Client(client).getLead(LeadsV1.GetLeadRequest(id: id), options: options(context))
                    return LeadSummary(fullName: lead.fullName, company: lead.company, email: lead.emails.first ?? "", phone: lead.phones.first ?? "")
                } catch let error as RPCError where error.code == .notFound || error.code == .permissionDenied {
                    return nil
                } catch let error as RPCError {
                    throw unavailable(error, "whether lead \(id) exists")
                }
            },
            userUnit: { id, context in
                do {
                    let user = try await LeadsV1.Directory.Client(client).getUser(LeadsV1.GetUserRequest(id: id), options: options(context))
                    return user.active ? user.unitId : nil
                } catch let error as RPCError where error.code == .notFound {
                    return nil
                } catch let error as RPCError {
                    throw unavailable(error, "who user \(id) is")
                }
            },
            account: LeadsAccounts.lookup(client))
    }

    private static func options(_ context: ServerContext) -> CallOptions { LeadsAccounts.forwarding(context, limit: .seconds(5)) }

    private static func unavailable(_ error: RPCError, _ what: String) -> RPCError { LeadsAccounts.unavailable(error, what) }

    /// When no crm-leads is configured: nothing that needs a lead or a user can be checked.
    public static let unconfigured = LeadsPeer(
        lead: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads), so leads cannot be checked") },
        userUnit: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads), so users cannot be checked") },
        account: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads), so accounts cannot be checked") })
}
