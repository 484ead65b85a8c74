import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB
import ReportsDomain

extension ReportsHandler {
    /// The conditions of an aggregate over leads: the request's filter, within the caller's scope.
    func aggregateQuery(_ filter: LeadsV1.LeadFilter?, caller: Caller, report: String, field: String = "filter", into v: inout Violations) async throws -> LeadRowQuery {
        let scope = try ReportAccess.managementScope(caller, report: report)
        var query = LeadRowQuery(filter ?? LeadsV1.LeadFilter(), field: field, customFields: try await customFields(), now: clock.millis(), into: &v)
        if case .unit(let unit) = scope { query.restrict(toUnit: unit) }
        return query
    }

    func countByTypeAndStatus(request: ReportsV1.CountByTypeAndStatusRequest, context: ServerContext) async throws -> ReportsV1.CountByTypeAndStatusResponse {
        var v = Violations()
        let query = try await aggregateQuery(request.filter, caller: try context.caller(), report: "Leads by type and status", into: &v)
        try v.check()
        return try await database.read { db in
            ReportsV1.CountByTypeAndStatusResponse(counts: try AggregateQueries.countByTypeAndStatus(db, query),
                                                   asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.leads))
        }
    }

    func pipeline(request: ReportsV1.PipelineRequest, context: ServerContext) async throws -> ReportsV1.PipelineResponse {
        var v = Violations()
        let query = try await aggregateQuery(request.filter, caller: try context.caller(), report: "The pipeline", into: &v)
        try v.check()
        return try await database.read { db in
            ReportsV1.PipelineResponse(stages: try AggregateQueries.pipeline(db, query), asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.leads))
        }
    }

    func conversionRates(request: ReportsV1.ConversionRatesRequest, context: ServerContext) async throws -> ReportsV1.ConversionRatesResponse {
        var v = Violations()
        let query = try await aggregateQuery(request.filter, caller: try context.caller(), report: "Conversion rates", into: &v)
        let grouping = ConversionGrouping(request.groupBy, field: "group_by", into: &v)
        Self.check(request.created, field: "created", into: &v)
        try v.check()
        return try await database.read { db in
            ReportsV1.ConversionRatesResponse(rates: try AggregateQueries.conversion(db, grouping, created: request.created, query),
                                              asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.leads))
        }
    }

    func ownerWorkload(request: ReportsV1.OwnerWorkloadRequest, context: ServerContext) async throws -> ReportsV1.OwnerWorkloadResponse {
        let caller = try context.caller()
        var v = Violations()
        if request.unitIds.count > 1_000 { v.add("unit_ids", "must have at most 1,000 values") }
        if request.asOf < 0 { v.add("as_of", "must be an instant (Unix ms), or 0 for now") }
        try v.check()
        var units = request.unitIds
        var onlyUser: Int64?
        switch caller.role {
        case .admin, .salesManager, .service: break
        case .unitManager:
            // Her own unit's people (and nobody else's, whatever she asks for).
            guard caller.unitID != 0 else { throw DomainError.permissionDenied("a unit manager without a unit has no unit workload") }
            if !units.isEmpty && units != [caller.unitID] { throw DomainError.permissionDenied("a unit manager sees the workload of her own unit only") }
            units = [caller.unitID]
        case .agent:
            onlyUser = caller.userID  // "workload of oneself" needs any role
        }
        let asOf = request.asOf == 0 ? clock.millis() : request.asOf
        let selected = units, only = onlyUser
        return try await database.read { db in
            var loads = try AggregateQueries.workload(db, unitIDs: selected, asOf: asOf)
            if let only { loads = loads.filter { $0.userId == only } }
            return ReportsV1.OwnerWorkloadResponse(workloads: loads, asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.leads),
                                                   activitiesAsOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.activities))
        }
    }

    func workReport(request: ReportsV1.WorkReportRequest, context: ServerContext) async throws -> ReportsV1.WorkReportResponse {
        _ = try ReportAccess.managementScope(try context.caller(), report: "The work report")
        var v = Violations()
        let (kind, grouping) = Self.work(request.kind, request.groupBy, kindField: "kind", groupField: "group_by", into: &v)
        Self.check(request.created, field: "created", into: &v)
        try v.check()
        let now = clock.millis()
        return try await database.read { db in
            ReportsV1.WorkReportResponse(counts: try AggregateQueries.work(db, kind: kind, grouping: grouping, created: request.created, now: now),
                                         asOfSequence: try FeedCursorStore.applied(db, FeedCursorStore.activities))
        }
    }

    static func check(_ range: RpcV1.TimeRange?, field: String, into v: inout Violations) {
        guard let range else { return }
        if range.fromMs < 0 || range.toMs < 0 { v.add(field, "must be instants (Unix ms), or 0 for an open side") }
        if range.fromMs != 0 && range.toMs != 0 && range.toMs <= range.fromMs { v.add("\(field).to_ms", "must be after from_ms") }
    }

    static func work(_ kind: RpcV1.EntityKind, _ grouping: ReportsV1.WorkGrouping, kindField: String, groupField: String, into v: inout Violations)
        -> (WorkFacts.Kind, ReportsDomain.WorkGrouping) {
        let k = WorkFacts.Kind(kind)
        if k == nil { v.add(kindField, "must be ACTIVITY, TASK or INCIDENT") }
        let g: ReportsDomain.WorkGrouping? = switch grouping {
        case .type: .type
        case .assignee: .assignee
        case .status: .status
        case .priority: .priority
        default: nil
        }
        if g == nil { v.add(groupField, "must be TYPE, ASSIGNEE, STATUS or PRIORITY") }
        if g == .priority && k != nil && k != .incident { v.add(groupField, "PRIORITY groups incidents only") }
        return (k ?? .activity, g ?? .type)
    }
}

extension ConversionGrouping {
    init(_ wire: ReportsV1.ConversionGrouping, field: String, into v: inout Violations) {
        switch wire {
        case .source: self = .source
        case .campaign: self = .campaign
        case .owner: self = .owner
        default:
            v.add(field, "must be SOURCE, CAMPAIGN or OWNER")
            self = .source
        }
    }
}
