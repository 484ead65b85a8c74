import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire

/// How many open activities and tasks a lead has, asked of crm-activities before a win, loss or
/// cancellation (seed 001). It fails closed: if crm-activities cannot answer, neither can we.
public struct OpenWorkCheck: Sendable {
    let count: @Sendable (_ leadID: Int64, _ context: ServerContext) async throws -> Int

    public init(_ count: @escaping @Sendable (_ leadID: Int64, _ context: ServerContext) async throws -> Int) {
        self.count = count
    }

    /// Asks crm-activities at `client`, on the caller's behalf (the token is valid there too).
    public static func activities(_ client: RPCClient) -> OpenWorkCheck {
        OpenWorkCheck { leadID, context in
            let remaining = context.deadline.map { $0 - .now } ?? .seconds(5)
            let options = CallOptions(timeout: min(remaining, .seconds(5)), metadata: Metadata(authorization: context.metadata.authorization, traceID: context.metadata.traceID))
            let open: ActivitiesV1.GetOpenWorkResponse
            do {
                open = try await ActivitiesV1.Activities.Client(client).getOpenWork(ActivitiesV1.GetOpenWorkRequest(leadId: leadID), options: options)
            } catch let error as RPCError {
                switch error.code {
                case .unavailable, .deadlineExceeded, .unimplemented:
                    throw RPCError(.unavailable, "crm-activities cannot say whether lead \(leadID) has open activities (\(error.message)); try again later")
                default:
                    throw error
                }
            }
            return open.openActivityIds.count + open.openTaskIds.count
        }
    }

    /// When no crm-activities is configured: every win, loss and cancellation is refused.
    public static let unconfigured = OpenWorkCheck { leadID, _ in
        throw RPCError(.unavailable, "no crm-activities is configured (peer.activities), so whether lead \(leadID) has open activities cannot be checked")
    }
}
