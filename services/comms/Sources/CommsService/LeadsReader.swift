import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import CommsDomain
import Foundation

/// What crm-comms reads from crm-leads, on the caller's behalf: the lead (NOT_FOUND when the
/// caller may not see it), the configuration (names and custom fields), users, and the caller's
/// account. Fails closed: UNAVAILABLE when crm-leads cannot answer.
public struct LeadsReader: Sendable {
    public var lead: @Sendable (_ id: Int64, _ context: ServerContext) async throws -> LeadsV1.Lead?
    public var configuration: @Sendable (_ context: ServerContext) async throws -> LeadsV1.Configuration
    public var user: @Sendable (_ id: Int64, _ context: ServerContext) async throws -> LeadsV1.User?
    public var account: CallerDirectory.Lookup
    /// The leads a filter finds for the caller, at most `limit` (more: FAILED_PRECONDITION).
    public var leads: @Sendable (_ filter: LeadsV1.LeadFilter, _ limit: Int, _ context: ServerContext) async throws -> [LeadsV1.Lead]
    /// Records a delivered message in its lead's history, as crm-comms itself (a service).
    public var recordMessage: @Sendable (_ message: LeadsV1.RecordMessageRequest) async throws -> Void

    public init(
        lead: @escaping @Sendable (Int64, ServerContext) async throws -> LeadsV1.Lead?,
        configuration: @escaping @Sendable (ServerContext) async throws -> LeadsV1.Configuration,
        user: @escaping @Sendable (Int64, ServerContext) async throws -> LeadsV1.User?,
        account: @escaping CallerDirectory.Lookup,
        leads: @escaping @Sendable (LeadsV1.LeadFilter, Int, ServerContext) async throws -> [LeadsV1.Lead] = { _, _, _ in [] },
        recordMessage: @escaping @Sendable (LeadsV1.RecordMessageRequest) async throws -> Void = { _ in }
    ) {
        self.leads = leads
        self.lead = lead
        self.configuration = configuration
        self.user = user
        self.account = account
        self.recordMessage = recordMessage
    }

    /// Asks the crm-leads at `client`; `serviceToken` signs crm-comms' own calls (the history
    /// entries of delivered messages), which no user makes.
    public static func rpc(_ client: RPCClient, serviceToken: @escaping @Sendable () -> String = { "" }) -> LeadsReader {
        LeadsReader(
            lead: { id, context in
                do {
                    return try await LeadsV1.Leads.Client(client).getLead(LeadsV1.GetLeadRequest(id: id), options: options(context))
                } catch let error as RPCError where error.code == .notFound || error.code == .permissionDenied {
                    return nil
                } catch let error as RPCError { throw unavailable(error, "lead \(id)") }
            },
            configuration: { context in
                do {
                    return try await LeadsV1.LeadConfig.Client(client).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options(context))
                } catch let error as RPCError { throw unavailable(error, "the lead configuration") }
            },
            user: { id, context in
                do {
                    return try await LeadsV1.Directory.Client(client).getUser(LeadsV1.GetUserRequest(id: id), options: options(context))
                } catch let error as RPCError where error.code == .notFound {
                    return nil
                } catch let error as RPCError { throw unavailable(error, "user \(id)") }
            },
            account: LeadsAccounts.lookup(client),
            leads: { filter, limit, context in
                var found: [LeadsV1.Lead] = []
                var token = ""
                repeat {
                    let page: LeadsV1.ListLeadsResponse
                    do {
                        page = try await LeadsV1.Leads.Client(client).listLeads(
                            LeadsV1.ListLeadsRequest(filter: filter, pageSize: 500, pageToken: token), options: options(context))
                    } catch let error as RPCError { throw unavailable(error, "the leads of the filter") }
                    if page.totalCount > Int64(limit) {
                        throw DomainError.failedPrecondition("the filter finds \(page.totalCount) leads; at most \(limit) take one message each: narrow it")
                    }
                    found += page.leads
                    token = page.nextPageToken
                } while !token.isEmpty && found.count < limit
                return found
            },
            recordMessage: { request in
                let options = CallOptions(timeout: .seconds(10), metadata: Metadata(
                    authorization: "Bearer \(serviceToken())", idempotencyKey: "comms-message-\(request.messageId)"))
                _ = try await LeadsV1.Leads.Client(client).recordMessage(request, options: options)
            })
    }

    private static func options(_ context: ServerContext) -> CallOptions { LeadsAccounts.forwarding(context, limit: .seconds(10)) }

    private static func unavailable(_ error: RPCError, _ what: String) -> RPCError { LeadsAccounts.unavailable(error, what) }

    public static let unconfigured = LeadsReader(
        lead: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") },
        configuration: { _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") },
        user: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") },
        account: { _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") },
        leads: { _, _, _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") },
        recordMessage: { _ in throw RPCError(.unavailable, "no crm-leads is configured (peer.leads)") })
}

/// The catalogue's values for one lead: every tag with the text it stands for ("" when the lead
/// has none).
enum LeadValues {
    static func catalogue(_ configuration: LeadsV1.Configuration) -> TagCatalogue {
        TagCatalogue(customFields: configuration.customFields.map { ($0.key, $0.label) })
    }

    static func values(
        lead: LeadsV1.Lead, configuration c: LeadsV1.Configuration, owner: LeadsV1.User?, assignee: LeadsV1.User?, sender: LeadsV1.User?, now: Int64
    ) -> [String: String] {
        func date(_ ms: Int64) -> String { ms == 0 ? "" : Timestamp.formatDate(ms) }
        func label(_ labels: [LeadsV1.LevelLabel], _ level: Int32) -> String {
            labels.first { $0.level == level }?.label ?? (level == 0 ? "" : String(level))
        }
        var v: [String: String] = [
            "#lead.id": String(lead.id),
            "#lead.full_name": lead.fullName,
            "#lead.first_name": lead.fullName.split(separator: " ").first.map(String.init) ?? "",
            "#lead.company": lead.company,
            "#lead.email": lead.emails.first ?? "",
            "#lead.phone": lead.phones.first ?? "",
            "#lead.country": lead.country,
            "#lead.region": lead.region,
            "#lead.province": lead.province,
            "#lead.postal_code": lead.postalCode,
            "#lead.location": lead.location,
            "#lead.campaign": lead.campaign,
            "#lead.channel": lead.channel,
            "#lead.source": lead.source,
            "#lead.type": c.types.first { $0.id == lead.typeId }?.name ?? "",
            "#lead.status": c.statuses.first { $0.id == lead.statusId }?.name ?? "",
            "#lead.state": lead.state == .unspecified ? "" : lead.state.protoName.replacingOccurrences(of: "LIFECYCLE_STATE_", with: "").lowercased().replacingOccurrences(of: "_", with: " "),
            "#lead.priority": label(c.priorityLabels, lead.priority),
            "#lead.importance": label(c.importanceLabels, lead.importance),
            "#lead.probability": "\(lead.probability)%",
            "#lead.target_amount": lead.targetAmount.map(money) ?? "",
            "#lead.expected_completion": date(lead.expectedCompletionAt),
            "#lead.contact_on": date(lead.contactOn),
            "#lead.created": date(lead.createdAt),
            "#lead.owner.name": owner?.name ?? "",
            "#lead.owner.email": owner?.email ?? "",
            "#lead.assignee.name": assignee?.name ?? "",
            "#lead.assignee.email": assignee?.email ?? "",
            "#sender.name": sender?.name ?? "",
            "#sender.email": sender?.email ?? "",
            "#today": Timestamp.formatDate(now),
        ]
        for field in lead.customFields {
            let text: String
            switch field.value {
            case .text(let s)?: text = s
            case .integer(let n)?: text = String(n)
            case .decimal(let d)?: text = d
            case .boolean(let b)?: text = b ? "yes" : "no"
            case .date(let ms)?: text = date(ms)
            case nil: text = ""
            }
            v["#lead.custom.\(field.key)"] = text
        }
        return v
    }

    /// "1,200.50 EUR": minor units grouped by thousands, with the currency.
    static func money(_ m: RpcV1.Money) -> String {
        guard !(m.amountMinor == 0 && m.currency.isEmpty) else { return "" }
        let units = m.amountMinor / 100, cents = abs(m.amountMinor % 100)
        var digits = String(abs(units))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return "\(m.amountMinor < 0 ? "-" : "")\(digits)\(grouped).\(cents < 10 ? "0" : "")\(cents) \(m.currency)"
    }
}
