import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire

/// How the services beside crm-leads ask it about their callers: with the caller's own token
/// (crm-leads decides what the caller may see), within what is left of the caller's deadline,
/// and turning "crm-leads cannot answer" into UNAVAILABLE, never into a wrong answer.
public enum LeadsAccounts {
    /// The account check of `CallerDirectory`: WhoAmI at crm-leads. nil (refused) for a
    /// deactivated or deleted user; UNAVAILABLE when crm-leads cannot answer (fails closed).
    public static func lookup(_ client: RPCClient) -> CallerDirectory.Lookup {
        { _, context in
            do {
                let user = try await LeadsV1.Auth.Client(client).whoAmI(LeadsV1.WhoAmIRequest(), options: forwarding(context))
                guard user.active, let role = Role(user.role) else { return nil }
                return Caller(userID: user.id, role: role, unitID: user.unitId)
            } catch let error as RPCError where error.code == .unauthenticated {
                return nil
            } catch let error as RPCError {
                throw unavailable(error, "whether your account is active")
            }
        }
    }

    /// The options of a call made on a caller's behalf: their token and trace id, and the rest of
    /// their deadline (at most `limit`).
    public static func forwarding(_ context: ServerContext, limit: Duration = .seconds(5)) -> CallOptions {
        let remaining = context.deadline.map { $0 - .now } ?? limit
        return CallOptions(timeout: max(.milliseconds(1), min(remaining, limit)),
                           metadata: Metadata(authorization: context.metadata.authorization, traceID: context.metadata.traceID))
    }

    /// An error of crm-leads as the caller should see it: "try again later" when crm-leads is
    /// down or failing, the error itself when it is an answer (NOT_FOUND, PERMISSION_DENIED, ...).
    public static func unavailable(_ error: RPCError, _ what: String) -> RPCError {
        switch error.code {
        case .unavailable, .deadlineExceeded, .unimplemented, .internal, .unknown:
            return RPCError(.unavailable, "crm-leads cannot say \(what) (\(error.message)); try again later")
        default:
            return error
        }
    }
}
