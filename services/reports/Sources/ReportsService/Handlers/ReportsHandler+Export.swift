import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import ReportsDomain

/// Exports and charts: any report as CSV, an aggregate as an SVG chart. Both are built from the
/// same answers the report RPCs give, so a CSV, a chart and a table never disagree.
extension ReportsHandler {
    /// A report's answer as a table: a header and rows of text.
    struct ReportTable {
        var header: [String]
        var rows: [[String]]
        var chart: ChartData?
    }

    func exportReport(request: ReportsV1.ExportReportRequest, response writer: ResponseWriter<RpcV1.CsvChunk>, context: ServerContext) async throws {
        let caller = try context.caller()
        guard let query = request.query else { throw DomainError.invalid([Violation("query", "is required")]) }
        var text = "", rows: Int32 = 0
        func emit(_ fields: [String]) async throws {
            text += CSV.record(fields)
            rows += 1
            if text.utf8.count >= 60_000 {
                try await writer.write(RpcV1.CsvChunk(data: Array(text.utf8), rows: rows))
                text = ""
                rows = 0
            }
        }
        let lists: [ReportsV1.ReportKind: ListScope] = [.allLeads: .all, .myLeads: .mine, .overdue: .overdue(asOf: query.asOf)]
        if let scope = lists[query.kind] {
            text = CSV.record(ReportsV1.LeadRow.csvHeader)
            var page = ReportsV1.ListLeadRowsRequest(filter: query.filter, sort: query.kind == .overdue ? [] : query.sort)
            let fingerprint = PageCursor.fingerprint(of: request, caller: caller) { _ in }
            repeat {
                // Keyset pages of 1,000: each read is short, and a lead changed meanwhile is never written twice.
                let answer = try await leadRows(page, caller: caller, scope: scope, counting: false, pageSize: 1_000, fingerprint: fingerprint)
                for row in answer.rows { try await emit(row.csvFields) }
                page.pageToken = answer.nextPageToken
            } while !page.pageToken.isEmpty
        } else {
            let table = try await self.table(query, field: "query", context: context)
            text = CSV.record(table.header)
            for row in table.rows { try await emit(row) }
        }
        if !text.isEmpty || rows > 0 { try await writer.write(RpcV1.CsvChunk(data: Array(text.utf8), rows: rows)) }
    }

    func drawChart(request: ReportsV1.ChartRequest, context: ServerContext) async throws -> ReportsV1.Chart {
        guard let query = request.query else { throw DomainError.invalid([Violation("query", "is required")]) }
        var v = Violations()
        if request.width != 0 && !(100...4_000).contains(request.width) { v.add("width", "must be from 100 to 4,000 pixels, or 0 for 800") }
        if request.height != 0 && !(100...4_000).contains(request.height) { v.add("height", "must be from 100 to 4,000 pixels, or 0 for 500") }
        if [.allLeads, .myLeads, .overdue].contains(query.kind) { v.add("query.kind", "lists leads; a chart draws an aggregate (by type and status, pipeline, conversion, workload, work)") }
        try v.check()
        guard let data = try await table(query, field: "query", context: context).chart else {
            throw DomainError.invalid([Violation("query.kind", "has no chart")])
        }
        let style: ChartData.Style = switch request.chart {
        case .pie: .pie
        case .line: .line
        default: .bar
        }
        let svg = SVGChart(width: Int(request.width == 0 ? 800 : request.width), height: Int(request.height == 0 ? 500 : request.height)).draw(data, as: style)
        return ReportsV1.Chart(contentType: "image/svg+xml", data: Array(svg.utf8))
    }

    /// An aggregate report's answer as a table (and a chart of its main figure).
    func table(_ q: ReportsV1.ReportQuery, field: String, context: ServerContext) async throws -> ReportTable {
        switch q.kind {
        case .byTypeAndStatus:
            let answer = try await countByTypeAndStatus(request: ReportsV1.CountByTypeAndStatusRequest(filter: q.filter), context: context)
            return ReportTable(
                header: ["type_id", "type", "status_id", "status", "state", "leads"],
                rows: answer.counts.map { [String($0.typeId), $0.typeName, String($0.statusId), $0.statusName, ReportText.state($0.state), String($0.count)] },
                chart: ChartData(title: "Leads by type and status", categoryTitle: "Type / status", valueTitle: "Leads",
                                 points: answer.counts.map { .init("\($0.typeName) / \($0.statusName)", Double($0.count)) }))
        case .pipeline:
            let answer = try await pipeline(request: ReportsV1.PipelineRequest(filter: q.filter), context: context)
            var rows: [[String]] = []
            for stage in answer.stages {
                let amounts = stage.targetAmounts.isEmpty ? [RpcV1.Money()] : stage.targetAmounts
                for (i, amount) in amounts.enumerated() {
                    let weighted = i < stage.weightedAmounts.count ? stage.weightedAmounts[i].amountMinor : 0
                    rows.append([ReportText.state(stage.state), String(stage.count), amount.currency, ReportText.amount(amount.amountMinor), ReportText.amount(weighted)])
                }
            }
            return ReportTable(header: ["state", "leads", "currency", "target_amount", "weighted_amount"], rows: rows,
                               chart: ChartData(title: "Pipeline", categoryTitle: "Life-cycle state", valueTitle: "Leads",
                                                points: answer.stages.map { .init(ReportText.state($0.state), Double($0.count)) }))
        case .conversion:
            var v = Violations()
            _ = ConversionGrouping(q.conversionGrouping, field: "\(field).conversion_grouping", into: &v)
            try v.check()
            let answer = try await conversionRates(request: ReportsV1.ConversionRatesRequest(groupBy: q.conversionGrouping, created: q.created, filter: q.filter), context: context)
            return ReportTable(
                header: ["key", "group", "leads", "won", "lost", "cancelled", "open", "rate_percent"],
                rows: answer.rates.map { [$0.key, $0.label, String($0.total), String($0.won), String($0.lost), String($0.cancelled), String($0.open), ReportText.amount(Int64($0.rateBp))] },
                chart: ChartData(title: "Conversion rate", categoryTitle: "Group", valueTitle: "Won of closed (%)",
                                 points: answer.rates.map { .init($0.label, Double($0.rateBp) / 100) }))
        case .workload:
            let answer = try await ownerWorkload(request: ReportsV1.OwnerWorkloadRequest(asOf: q.asOf), context: context)
            return ReportTable(
                header: ["user_id", "name", "unit_id", "open_leads", "overdue_leads", "open_activities", "open_tasks", "open_incidents"],
                rows: answer.workloads.map { [String($0.userId), $0.name, String($0.unitId), String($0.openLeads), String($0.overdueLeads), String($0.openActivities),
                                              String($0.openTasks), String($0.openIncidents)] },
                chart: ChartData(title: "Open leads by person", categoryTitle: "Person", valueTitle: "Open leads",
                                 points: answer.workloads.map { .init($0.name, Double($0.openLeads)) }))
        case .work:
            var v = Violations()
            _ = Self.work(q.workKind, q.workGrouping, kindField: "\(field).work_kind", groupField: "\(field).work_grouping", into: &v)
            try v.check()
            let answer = try await workReport(request: ReportsV1.WorkReportRequest(kind: q.workKind, groupBy: q.workGrouping, created: q.created), context: context)
            return ReportTable(
                header: ["key", "group", "total", "open", "overdue"],
                rows: answer.counts.map { [$0.key, $0.label, String($0.total), String($0.open), String($0.overdue)] },
                chart: ChartData(title: "Work", categoryTitle: "Group", valueTitle: "Items", points: answer.counts.map { .init($0.label, Double($0.total)) }))
        default:
            throw DomainError.invalid([Violation("\(field).kind", "must name a report")])
        }
    }
}
