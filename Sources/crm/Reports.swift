import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

extension ConnectionOptions {
    /// A call to crm-reports with the saved session.
    func withReports<T>(_ body: (ReportsV1.Reports.Client, CallOptions) async throws -> T) async throws -> T {
        let options = try signedIn()
        return try await with(.reports) { rpc in try await body(ReportsV1.Reports.Client(rpc), options) }
    }
}

extension ReportsV1.ConversionGrouping: CLIEnum {}
extension ReportsV1.WorkGrouping: CLIEnum {}
extension ReportsV1.ChartKind: CLIEnum {}
extension RpcV1.EntityKind: CLIEnum {}

/// `crm reports`: the read model's lists, aggregates, exports and charts.
struct Reports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reports from crm-reports: All Leads, My Leads, by status, overdue, pipeline, conversion, workload, work.",
        discussion: "Each answer says how far the read model has got (`crm reports status` shows each feed's lag).",
        subcommands: [All.self, Mine.self, ByStatus.self, Overdue.self, Pipeline.self, Conversion.self, Workload.self, WorkCounts.self,
                      Status.self, Export.self, Chart.self])

    /// Options of the two lead lists.
    struct ListOptions: ParsableArguments {
        @OptionGroup var filter: LeadFilterOptions
        @Option(help: ArgumentHelp("Sort by these fields (LeadRow names), descending with a leading -, such as --sort=-target_amount,full_name.", valueName: "fields"))
        var sort = ""
        @Option(help: ArgumentHelp("Rows per page (1-500).", valueName: "n")) var limit: Int32 = 50
        @Option(help: ArgumentHelp("The next page: the token the previous page printed.", valueName: "token")) var page = ""

        func request(_ connection: ConnectionOptions) async throws -> ReportsV1.ListLeadRowsRequest {
            ReportsV1.ListLeadRowsRequest(filter: try await filter.filter(connection), sort: sortKeys(sort), pageSize: limit, pageToken: page)
        }
    }

    /// A created range from --from and --to (nil when neither is given).
    static func range(_ from: String?, _ to: String?) throws -> RpcV1.TimeRange? {
        from == nil && to == nil ? nil : RpcV1.TimeRange(fromMs: try CLITime.parse(from, "--from"), toMs: try CLITime.parse(to, "--to"))
    }

    static func rowsTable(_ rows: [ReportsV1.LeadRow]) -> Table {
        Table(header: ["id", "name", "company", "type", "status", "owner", "assigned to", "amount", "expected", "overdue", "open work"], rows: rows.map { r in
            [String(r.leadId), r.fullName, r.company, r.typeName, r.statusName, r.ownerName,
             [r.assignedUserName, r.assignedUnitName].filter { !$0.isEmpty }.joined(separator: " / "),
             r.targetAmount.map(money) ?? "", r.expectedCompletionAt == 0 ? "" : String(showTime(r.expectedCompletionAt).prefix(10)),
             r.timeOverdueMs == 0 ? "" : "\(r.timeOverdueMs / 86_400_000) d", r.openWork == 0 ? "" : String(r.openWork)]
        })
    }

    static func printPage(_ answer: ReportsV1.ListLeadRowsResponse, _ output: OutputOptions) throws {
        try output.print(answer, rowsTable(answer.rows))
        guard !output.json && !output.csv else { return }
        print("\(answer.rows.count) of \(answer.totalCount) leads (as of leads event \(answer.asOfSequence))."
              + (answer.nextPageToken.isEmpty ? "" : " Next page: --page \(answer.nextPageToken)"))
    }

    /// "1,234.50 EUR".
    static func money(_ m: RpcV1.Money) -> String {
        let units = abs(m.amountMinor) / 100, cents = abs(m.amountMinor) % 100
        var grouped = "", digits = Array(String(units))
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return "\(m.amountMinor < 0 ? "-" : "")\(grouped).\(cents < 10 ? "0" : "")\(cents) \(m.currency)"
    }

    /// A bar of `value` against `maximum`, 30 cells at most, in eighths of a cell.
    static func bar(_ value: Double, of maximum: Double, width: Int = 30) -> String {
        guard maximum > 0, value > 0 else { return "" }
        let eighths = Int((value / maximum * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
    }

    static func state(_ s: LeadsV1.LifecycleState) -> String { s.cliName.replacingOccurrences(of: "_", with: " ") }

    struct All: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "All Leads (managers and admins): filter on any column, sort on any other.")
        @OptionGroup var list: ListOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = try await list.request(connection)
                try printPage(try await connection.withReports { c, o in try await c.listAllLeads(request, options: o) }, output)
            }
        }
    }

    struct Mine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "My Leads: owned by or assigned to me.")
        @OptionGroup var list: ListOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = try await list.request(connection)
                try printPage(try await connection.withReports { c, o in try await c.listMyLeads(request, options: o) }, output)
            }
        }
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open leads past their expected completion, most overdue first (the Monday review).")
        @Option(help: ArgumentHelp("Judge at this time instead of now, such as 2026-12-07 (local time unless a zone is given).", valueName: "time")) var at: String?
        @OptionGroup var filter: LeadFilterOptions
        @Option(help: ArgumentHelp("Rows per page (1-500).", valueName: "n")) var limit: Int32 = 50
        @Option(help: ArgumentHelp("The next page: the token the previous page printed.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.ListOverdueLeadsRequest(asOf: try CLITime.parse(at, "--at"), filter: try await filter.filter(connection), pageSize: limit, pageToken: page)
                try printPage(try await connection.withReports { c, o in try await c.listOverdueLeads(request, options: o) }, output)
            }
        }
    }

    struct ByStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "by-status", abstract: "Leads by type and status.")
        @OptionGroup var filter: LeadFilterOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.CountByTypeAndStatusRequest(filter: try await filter.filter(connection))
                let answer = try await connection.withReports { c, o in try await c.countByTypeAndStatus(request, options: o) }
                let top = Double(answer.counts.map(\.count).max() ?? 0)
                try output.print(answer, Table(header: ["type", "status", "state", "leads", ""], rows: answer.counts.map {
                    [$0.typeName, $0.statusName, state($0.state), String($0.count), bar(Double($0.count), of: top)]
                }))
            }
        }
    }

    struct Pipeline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leads, target and probability-weighted amounts per life-cycle state.")
        @OptionGroup var filter: LeadFilterOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.PipelineRequest(filter: try await filter.filter(connection))
                let answer = try await connection.withReports { c, o in try await c.pipeline(request, options: o) }
                let top = Double(answer.stages.map(\.count).max() ?? 0)
                try output.print(answer, Table(header: ["state", "leads", "", "target", "weighted"], rows: answer.stages.map { s in
                    [state(s.state), String(s.count), bar(Double(s.count), of: top), s.targetAmounts.map(money).joined(separator: ", "),
                     s.weightedAmounts.map(money).joined(separator: ", ")]
                }))
            }
        }
    }

    struct Conversion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Conversion rates (won of closed) by source, campaign or owner.")
        @Option(name: .customLong("by"), help: ArgumentHelp("Group by: \(ReportsV1.ConversionGrouping.cliNames.joined(separator: ", ")).", valueName: "grouping"))
        var grouping = "source"
        @Option(help: ArgumentHelp("Leads created on or after this time (such as 2026-01-01).", valueName: "time")) var from: String?
        @Option(help: ArgumentHelp("Leads created before this time.", valueName: "time")) var to: String?
        @OptionGroup var filter: LeadFilterOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.ConversionRatesRequest(
                    groupBy: try ReportsV1.ConversionGrouping(cliName: grouping, option: "--by"),
                    created: try range(from, to),
                    filter: try await filter.filter(connection))
                let answer = try await connection.withReports { c, o in try await c.conversionRates(request, options: o) }
                try output.print(answer, Table(header: ["group", "leads", "won", "lost", "cancelled", "open", "rate", ""], rows: answer.rates.map { r in
                    [r.label, String(r.total), String(r.won), String(r.lost), String(r.cancelled), String(r.open),
                     String(format: "%.1f%%", Double(r.rateBp) / 100), bar(Double(r.rateBp), of: 10_000)]
                }))
            }
        }
    }

    struct Workload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open leads and open work per person, busiest first.")
        @Option(help: ArgumentHelp("Only these units' people (comma-separated ids).", valueName: "ids")) var unit = ""
        @Option(help: ArgumentHelp("Judge overdue at this time instead of now.", valueName: "time")) var at: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.OwnerWorkloadRequest(unitIds: try LeadFilterOptions.ids(unit, "--unit"), asOf: try CLITime.parse(at, "--at"))
                let answer = try await connection.withReports { c, o in try await c.ownerWorkload(request, options: o) }
                let top = Double(answer.workloads.map(\.openLeads).max() ?? 0)
                try output.print(answer, Table(header: ["person", "open leads", "", "overdue", "activities", "tasks", "incidents"], rows: answer.workloads.map { w in
                    [w.name, String(w.openLeads), bar(Double(w.openLeads), of: top), String(w.overdueLeads), String(w.openActivities), String(w.openTasks), String(w.openIncidents)]
                }))
            }
        }
    }

    struct WorkCounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "work", abstract: "Activities, tasks or incidents by type, assignee, status or priority.")
        @Argument(help: ArgumentHelp("activity, task or incident.", valueName: "kind")) var kind = "activity"
        @Option(name: .customLong("by"), help: ArgumentHelp("Group by: \(ReportsV1.WorkGrouping.cliNames.joined(separator: ", ")).", valueName: "grouping"))
        var grouping = "type"
        @Option(help: ArgumentHelp("Created on or after this time.", valueName: "time")) var from: String?
        @Option(help: ArgumentHelp("Created before this time.", valueName: "time")) var to: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.WorkReportRequest(
                    kind: try RpcV1.EntityKind(cliName: kind, option: "kind"), groupBy: try ReportsV1.WorkGrouping(cliName: grouping, option: "--by"),
                    created: try range(from, to))
                let answer = try await connection.withReports { c, o in try await c.workReport(request, options: o) }
                let top = Double(answer.counts.map(\.total).max() ?? 0)
                try output.print(answer, Table(header: ["group", "total", "", "open", "overdue"], rows: answer.counts.map { w in
                    [w.label, String(w.total), bar(Double(w.total), of: top), String(w.open), String(w.overdue)]
                }))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How far the read model has caught up with each feed.")
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let answer = try await connection.withReports { c, o in try await c.feedStatus(ReportsV1.FeedStatusRequest(), options: o) }
                try output.print(answer, Table(header: ["feed", "applied", "head", "behind", "last applied", "error"], rows: answer.cursors.map { c in
                    [c.source, String(c.appliedSequence), String(c.headSequence), String(c.lag), showTime(c.appliedAt), c.lastError]
                }))
            }
        }
    }

    /// Which report an export or a chart is of, and its parameters.
    struct QueryOptions: ParsableArguments {
        @Argument(help: ArgumentHelp("all, mine, overdue, by-status, pipeline, conversion, workload or work.", valueName: "report")) var report: String
        @OptionGroup var filter: LeadFilterOptions
        @Option(help: ArgumentHelp("Sort the lead lists (LeadRow field names, - for descending).", valueName: "fields")) var sort = ""
        @Option(help: ArgumentHelp("Judge overdue at this time instead of now.", valueName: "time")) var at: String?
        @Option(name: .customLong("by"), help: ArgumentHelp("Grouping of conversion (source, campaign, owner) or work (type, assignee, status, priority).", valueName: "grouping"))
        var grouping: String?
        @Option(name: .customLong("work-kind"), help: ArgumentHelp("For work: activity, task or incident.", valueName: "kind")) var workKind = "activity"
        @Option(help: ArgumentHelp("Created on or after this time (conversion and work).", valueName: "time")) var from: String?
        @Option(help: ArgumentHelp("Created before this time (conversion and work).", valueName: "time")) var to: String?

        static let kinds: [String: ReportsV1.ReportKind] = [
            "all": .allLeads, "mine": .myLeads, "overdue": .overdue, "by-status": .byTypeAndStatus, "pipeline": .pipeline,
            "conversion": .conversion, "workload": .workload, "work": .work,
        ]

        func query(_ connection: ConnectionOptions) async throws -> ReportsV1.ReportQuery {
            guard let kind = Self.kinds[report] else {
                throw CLIFailure(.usage, "the report must be one of \(Self.kinds.keys.sorted().joined(separator: ", ")) (got \"\(report)\")")
            }
            var q = ReportsV1.ReportQuery(kind: kind, filter: try await filter.filter(connection), sort: sortKeys(sort), asOf: try CLITime.parse(at, "--at"))
            q.created = try Reports.range(from, to)
            if kind == .conversion { q.conversionGrouping = try ReportsV1.ConversionGrouping(cliName: grouping ?? "source", option: "--by") }
            if kind == .work {
                q.workKind = try RpcV1.EntityKind(cliName: workKind, option: "--work-kind")
                q.workGrouping = try ReportsV1.WorkGrouping(cliName: grouping ?? "type", option: "--by")
            }
            return q
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Any report as CSV.")
        @OptionGroup var query: QueryOptions
        @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.ExportReportRequest(query: try await query.query(connection))
                let sink: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil) else { throw CLIFailure(.usage, "cannot write \(output)") }
                    sink = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                } else {
                    sink = FileHandle.standardOutput
                }
                let rows = try await connection.withReports { client, options in
                    let progress = Progress(label: "Exporting")
                    var rows = 0
                    for try await chunk in client.exportReport(request, options: CallOptions(timeout: nil, metadata: options.metadata)) {
                        try sink.write(contentsOf: chunk.data)
                        rows += Int(chunk.rows)
                        progress.update(rows, of: nil, "rows")
                    }
                    progress.finish()
                    return rows
                }
                if let output {
                    try sink.close()
                    print("Exported \(rows) rows to \(output).")
                }
            }
        }
    }

    struct Chart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An aggregate report as an SVG chart.")
        @OptionGroup var query: QueryOptions
        @Option(help: ArgumentHelp("bar, pie or line.", valueName: "style")) var style = "bar"
        @Option(help: ArgumentHelp("Write the SVG to this file.", valueName: "file")) var svg: String
        @Option(help: ArgumentHelp("Width in pixels (100-4,000).", valueName: "px")) var width: Int32 = 800
        @Option(help: ArgumentHelp("Height in pixels (100-4,000).", valueName: "px")) var height: Int32 = 500
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = ReportsV1.ChartRequest(query: try await query.query(connection), chart: try ReportsV1.ChartKind(cliName: style, option: "--style"), width: width, height: height)
                let chart = try await connection.withReports { c, o in try await c.drawChart(request, options: o) }
                guard FileManager.default.createFile(atPath: svg, contents: Data(chart.data)) else { throw CLIFailure(.usage, "cannot write \(svg)") }
                print("Wrote the chart to \(svg).")
            }
        }
    }
}
