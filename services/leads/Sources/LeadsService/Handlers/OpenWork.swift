import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire

/// How many open activities and tasks a lead has, asked of crm-activities before a win, loss or
/// cancellation. It fails closed: if crm-activities cannot answer, neither can we.
public struct OpenWorkCheck: Sendable {
    /// The lead's open work, each item as a person reads it ("activity 4 (Demo, ends ...)").
    let open: @Sendable (_ leadID: Int64, _ context: ServerContext) async throws -> [String]

    /// A check that knows only how many items are open.
    public init(_ count: @escaping @Sendable (_ leadID: Int64, _ context: ServerContext) async throws -> Int) {
        self.open = { leadID, context in
            Array(repeating: "an open activity or task", count: try await count(leadID, context))
        }
    }

    public init(describing open: @escaping @Sendable (_ leadID: Int64, _ context: ServerContext) async throws -> [String]) {
        self.open = open
    }

    /// The refusal of closing a lead that has open work, naming the work.
    static func refusal(leadID: Int64, open: [String]) -> DomainError {
        let named = open.filter { $0 != "an open activity or task" }
        let what = named.count == open.count ? named.joined(separator: "; ") : "\(open.count) open activities or tasks"
        return DomainError.failedPrecondition("lead \(leadID) has open work: \(what). Complete, cancel or delete it first")
    }

    /// Asks crm-activities at `client`, on the caller's behalf (the token is valid there too).
    public static func activities(_ client: RPCClient) -> OpenWorkCheck {
        OpenWorkCheck(describing: { leadID, context in
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
            let count = open.openActivityIds.count + open.openTaskIds.count
            // An older crm-activities sends ids without descriptions.
            guard count > 0 else { return [] }
            return !open.descriptions.isEmpty ? open.descriptions
                : open.openActivityIds.map { "activity \($0)" } + open.openTaskIds.map { "task \($0)" }
        })
    }

    /// When no crm-activities is configured: every win, loss and cancellation is refused.
    public static let unconfigured = OpenWorkCheck(describing: { leadID, _ in
        throw RPCError(.unavailable, "no crm-activities is configured (peer.activities), so whether lead \(leadID) has open activities cannot be checked")
    })
}
