import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB
import ReportsDomain

/// crm-reports' RPCs, answered from the read model alone: a source being down never fails a
/// report, and every answer says how far the read model has got. Authentication and error
/// mapping are the kit's interceptors.
struct ReportsHandler: ReportsV1.Reports.ServiceProtocol {
    let database: ServiceDatabase
    let clock: WallClock

    // MARK: lead lists

    func listAllLeads(request: ReportsV1.ListLeadRowsRequest, context: ServerContext) async throws -> ReportsV1.ListLeadRowsResponse {
        let caller = try context.caller()
        _ = try ReportAccess.managementScope(caller, report: "All Leads")
        return try await leadRows(request, caller: caller, scope: .all)
    }

    func listMyLeads(request: ReportsV1.ListLeadRowsRequest, context: ServerContext) async throws -> ReportsV1.ListLeadRowsResponse {
        let caller = try context.caller()
        return try await leadRows(request, caller: caller, scope: .mine)
    }

    /// The lead lists' scopes: every lead a manager may see, or the caller's own.
    enum ListScope {
        case all, mine, overdue(asOf: Int64)
    }

    /// A page of a lead list. `counting` false leaves the total out (an export reads every page
    /// and needs it once); `maxPage` lets an export read bigger pages than a client may ask for.
    func leadRows(_ request: ReportsV1.ListLeadRowsRequest, caller: Caller, scope list: ListScope, counting: Bool = true,
                  pageSize: Int? = nil, fingerprint given: String? = nil) async throws -> ReportsV1.ListLeadRowsResponse {
        let now = clock.millis()
        var v = Violations()
        var query = LeadRowQuery(request.filter ?? LeadsV1.LeadFilter(), customFields: try await customFields(), now: now, into: &v)
        let countsEveryLead = query.isEmpty
        var asOf = now
        var order: [(ListQuery.SortColumn, Bool)]
        switch list {
        case .all:
            if case .unit(let unit) = try ReportAccess.managementScope(caller, report: "All Leads") { query.restrict(toUnit: unit) }
        case .mine:
            query.restrict(toUser: caller.userID)
        case .overdue(let instant):
            if case .unit(let unit) = try ReportAccess.managementScope(caller, report: "The overdue leads") { query.restrict(toUnit: unit) }
            asOf = instant <= 0 ? now : instant
            query.require(LeadRowQuery.overdue, [asOf])
        }
        if case .overdue = list {
            // Most overdue first: the earliest expected completion.
            order = [(.init("expected_completion_at"), false)]
        } else {
            order = ListQuery.order(request.sort.map { ($0.field, $0.descending) }, allowed: LeadRowQuery.sortable, default: LeadRowQuery.newestFirst, into: &v)
        }
        let limit = pageSize ?? PageSize.resolve(request.pageSize, into: &v)
        let fingerprint = given ?? PageCursor.fingerprint(of: request, caller: caller) { $0.pageSize = 0; $0.pageToken = "" }
        let cursor = PageCursor.decode(request.pageToken, query: fingerprint, into: &v)
        try v.check()
        let rows = query.listQuery(order: order)
        let everyLead = countsEveryLead && query.isEmpty
        let evaluatedAt = asOf
        return try await database.read { db in
            // Every lead: the maintained count answers, instead of counting a million rows.
            let leads = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM agg_type_status") ?? 0
            let total: Int64? = !counting ? nil : everyLead ? leads : try rows.count(db)
            let index = ReportsSchema.orderIndex(for: rows, matches: total, of: leads, page: limit)
            let page = try rows.page(db, after: cursor, limit: limit, fingerprint: fingerprint, knownTotal: total ?? -1, index: index) {
                ReportsV1.LeadRow(row: $0, asOf: evaluatedAt)
            }
            return ReportsV1.ListLeadRowsResponse(rows: page.records, nextPageToken: page.next?.token ?? "", totalCount: max(0, page.total),
                                                  asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.leads))
        }
    }

    func listOverdueLeads(request: ReportsV1.ListOverdueLeadsRequest, context: ServerContext) async throws -> ReportsV1.ListLeadRowsResponse {
        let caller = try context.caller()
        if request.asOf < 0 { throw DomainError.invalid([Violation("as_of", "must be an instant (Unix ms), or 0 for now")]) }
        // The token belongs to this request (its as_of and filter).
        let fingerprint = PageCursor.fingerprint(of: request, caller: caller) { $0.pageSize = 0; $0.pageToken = "" }
        let list = ReportsV1.ListLeadRowsRequest(filter: request.filter, pageSize: request.pageSize, pageToken: request.pageToken)
        return try await leadRows(list, caller: caller, scope: .overdue(asOf: request.asOf), fingerprint: fingerprint)
    }

    /// The declared custom fields and their types, as the last configuration read says.
    func customFields() async throws -> [String: String] {
        try await database.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT key, type FROM custom_field").map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { a, _ in a })
        }
    }

    // MARK: feeds

    func feedStatus(request: ReportsV1.FeedStatusRequest, context: ServerContext) async throws -> ReportsV1.FeedStatusResponse {
        _ = try context.caller()
        return try await database.read { db in
            ReportsV1.FeedStatusResponse(cursors: try FeedCursorStore.sources.map { source in
                let c = try FeedCursorStore.cursor(db, source)
                return ReportsV1.FeedCursor(source: source, appliedSequence: c.applied, headSequence: c.head, appliedAt: c.appliedAt,
                                            lastError: c.lastError, lag: max(0, c.head - c.applied))
            })
        }
    }
}
