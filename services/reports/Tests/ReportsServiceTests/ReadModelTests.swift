import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import Testing
@testable import ReportsService

@Suite("crm-reports' read model: rows, names, aggregates, paging, roles", .timeLimit(.minutes(2)))
struct ReadModelTests {
    typealias T = TestReports

    @Test("a lead's row follows its events, with the names of its owner, unit, type, status and source; renames reach the rows")
    func rowsAndNames() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events([
            T.user(11, "Ana Pérez", unit: 5),
            LeadsV1.LeadEvent(type: .unitChanged, entityId: 5, unit: LeadsV1.Unit(id: 5, name: "Madrid")),
            LeadsV1.LeadEvent(type: .created, entityId: 1, lead: T.lead(1, "Luis Gómez", status: 2, owner: 11, unit: 5, amount: 120_050, source: 7,
                                                                           custom: [LeadsV1.CustomFieldValue(key: "cups", value: .text("ES0021"))])),
        ], from: 1), configuration: T.configuration)
        var row = try #require(try await reports.all().rows.first)
        #expect(row.fullName == "Luis Gómez" && row.ownerName == "Ana Pérez" && row.assignedUnitName == "Madrid")
        #expect(row.typeName == "Energy supply" && row.statusName == "Qualifying" && row.state == .inProgress && row.sourceType == "Web form")
        #expect(row.targetAmount == RpcV1.Money(amountMinor: 120_050, currency: "EUR"))
        #expect(row.customFields == [LeadsV1.CustomFieldValue(key: "cups", value: .text("ES0021"))])

        var renamed = T.configuration
        renamed.statuses[1].name = "Qualified"
        try await reports.server.apply(leadEvents: T.events([T.user(11, "Ana P. Ruiz", unit: 5),
                                                             LeadsV1.LeadEvent(type: .configurationChanged)], from: 4), configuration: renamed)
        row = try #require(try await reports.all().rows.first)
        #expect(row.ownerName == "Ana P. Ruiz" && row.statusName == "Qualified")
        let answer = try await reports.all()
        #expect(answer.asOfSequence == 5 && answer.totalCount == 1)

        try await reports.server.apply(leadEvents: T.events([T.delete(1)], from: 6))
        #expect(try await reports.all().rows.isEmpty)
    }

    @Test("events at or below the cursor are skipped: a batch read twice changes nothing twice")
    func replay() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        let batch = T.events([T.put(T.lead(1, "A", amount: 100)), T.put(T.lead(2, "B", amount: 200))], from: 1)
        try await reports.server.apply(leadEvents: batch, configuration: T.configuration)
        try await reports.server.apply(leadEvents: batch)
        let pipeline: ReportsV1.PipelineResponse = try await reports.caller.call(T.M.pipeline, ReportsV1.PipelineRequest(), as: manager)
        #expect(pipeline.stages.first { $0.state == .pending }?.count == 2)
        #expect(pipeline.stages.first { $0.state == .pending }?.targetAmounts == [RpcV1.Money(amountMinor: 300, currency: "EUR")])
    }

    /// Random changes; afterwards every maintained aggregate equals the same aggregate counted from the rows.
    @Test("after random creates, updates, reassignments and deletes the maintained aggregates equal a count of the rows", arguments: [1, 2, 3] as [UInt64])
    func aggregatesAgreeWithRows(seed: UInt64) async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        var random = SplitMix64(state: seed)
        var events: [LeadsV1.LeadEvent] = []
        var alive: Set<Int64> = []
        for _ in 0..<400 {
            let id = Int64.random(in: 1...60, using: &random)
            if alive.contains(id) && Int.random(in: 0..<5, using: &random) == 0 {
                events.append(T.delete(id))
                alive.remove(id)
                continue
            }
            alive.insert(id)
            events.append(T.put(T.lead(id, "Lead \(id)", status: Int64.random(in: 1...5, using: &random), type: Int64.random(in: 1...2, using: &random),
                                       owner: Int64.random(in: 0...3, using: &random), assignedUser: Int64.random(in: 0...3, using: &random),
                                       amount: Int64.random(in: 0...3, using: &random) * 10_000, currency: ["EUR", "USD"].randomElement(using: &random)!,
                                       probability: Int32.random(in: 0...100, using: &random), campaign: ["", "spring", "fair"].randomElement(using: &random)!,
                                       source: [0, 7, 8].randomElement(using: &random)!, created: T.now - Int64.random(in: 0...30, using: &random) * T.day - 3_600_000)))
        }
        try await reports.server.apply(leadEvents: T.events(events, from: 1), configuration: T.configuration)
        // A filter every lead passes takes the counting path; no filter reads the maintained cells.
        let everyState = LeadsV1.LeadFilter(states: [.pending, .inProgress, .won, .lost, .cancelled])
        let cells: ReportsV1.CountByTypeAndStatusResponse = try await reports.caller.call(T.M.countByTypeAndStatus, ReportsV1.CountByTypeAndStatusRequest(), as: manager)
        let counted: ReportsV1.CountByTypeAndStatusResponse = try await reports.caller.call(T.M.countByTypeAndStatus, ReportsV1.CountByTypeAndStatusRequest(filter: everyState), as: manager)
        #expect(cells.counts == counted.counts)
        #expect(cells.counts.reduce(0) { $0 + $1.count } == Int64(alive.count))
        let p1: ReportsV1.PipelineResponse = try await reports.caller.call(T.M.pipeline, ReportsV1.PipelineRequest(), as: manager)
        let p2: ReportsV1.PipelineResponse = try await reports.caller.call(T.M.pipeline, ReportsV1.PipelineRequest(filter: everyState), as: manager)
        #expect(p1.stages == p2.stages)
        for grouping in [ReportsV1.ConversionGrouping.source, .campaign, .owner] {
            let range = RpcV1.TimeRange(fromMs: T.now - 20 * T.day, toMs: T.now)
            let c1: ReportsV1.ConversionRatesResponse = try await reports.caller.call(T.M.conversionRates, ReportsV1.ConversionRatesRequest(groupBy: grouping, created: range), as: manager)
            let c2: ReportsV1.ConversionRatesResponse = try await reports.caller.call(
                T.M.conversionRates, ReportsV1.ConversionRatesRequest(groupBy: grouping, created: range, filter: everyState), as: manager)
            #expect(c1.rates == c2.rates, "\(grouping)")
        }
        // And the rows are the leads that are left.
        #expect(Set(try await reports.everyRow().map(\.leadId)) == alive)
    }

    @Test("following the cursor never repeats or skips a row while leads are added and re-sorted between pages; a token of another query is refused")
    func cursorPaging() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events((1...30).map { T.put(T.lead($0, "Lead \(String(format: "%02d", $0))")) }, from: 1),
                                       configuration: T.configuration)
        var request = ReportsV1.ListLeadRowsRequest(sort: [RpcV1.SortKey(field: "full_name")], pageSize: 10)
        var seen: [Int64] = []
        var sequence: Int64 = 31
        repeat {
            let page = try await reports.all(request)
            seen += page.rows.map(\.leadId)
            // Between pages: a lead sorted before the cursor, one after it, and one renamed from the end to the start.
            try await reports.server.apply(leadEvents: T.events([T.put(T.lead(100 + sequence, "AAA \(sequence)")), T.put(T.lead(30, "A renamed"))], from: sequence))
            sequence += 2
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        #expect(seen.count == Set(seen).count, "no row twice")
        #expect(Set(1...29).isSubset(of: Set(seen)), "no row that was there all along skipped")

        let first = try await reports.all(ReportsV1.ListLeadRowsRequest(pageSize: 5))
        let other = ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(campaigns: ["spring"]), pageSize: 5, pageToken: first.nextPageToken)
        let refused = await #expect(throws: RPCError.self) { _ = try await reports.all(other) }
        #expect(refused?.code == .invalidArgument && refused?.message.contains("page_token") == true)
    }

    @Test("filters on text, names, custom fields and postal prefixes; sorts on any column; bad input names its field")
    func filtersAndSorts() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events([
            T.user(2, "Zoe"), T.user(3, "Bea"),
            T.put(T.lead(1, "José Álvarez", owner: 2, company: "Solar Ibérica", email: "jose@solar.es", postalCode: "28013",
                         custom: [LeadsV1.CustomFieldValue(key: "kw", value: .integer(12))])),
            T.put(T.lead(2, "Mary O'Brien", owner: 3, company: "Acme", email: "mary@acme.com", postalCode: "08001",
                         custom: [LeadsV1.CustomFieldValue(key: "kw", value: .integer(40))])),
            T.put(T.lead(3, "Ann 100% \"Quoted\"", owner: 2, postalCode: "28%")),
        ], from: 1), configuration: T.configuration)
        func ids(_ filter: LeadsV1.LeadFilter, sort: [RpcV1.SortKey] = [RpcV1.SortKey(field: "lead_id")]) async throws -> [Int64] {
            try await reports.all(ReportsV1.ListLeadRowsRequest(filter: filter, sort: sort)).rows.map(\.leadId)
        }
        #expect(try await ids(LeadsV1.LeadFilter(text: "jose solar")) == [1])
        #expect(try await ids(LeadsV1.LeadFilter(text: "alvarez")) == [1], "accents do not matter")
        #expect(try await ids(LeadsV1.LeadFilter(text: "acme.com")) == [2])
        #expect(try await ids(LeadsV1.LeadFilter(text: "\"quoted\"")) == [3])
        #expect(try await ids(LeadsV1.LeadFilter(postalCodes: ["28*"])) == [1, 3])
        #expect(try await ids(LeadsV1.LeadFilter(postalCodes: ["28%"])) == [3], "% is a character, not a wildcard")
        #expect(try await ids(LeadsV1.LeadFilter(customFields: [LeadsV1.CustomFieldFilter(key: "kw", min: "20")])) == [2])
        #expect(try await ids(LeadsV1.LeadFilter(), sort: [RpcV1.SortKey(field: "owner_name"), RpcV1.SortKey(field: "full_name", descending: true)]) == [2, 1, 3])

        for (request, field) in [
            (ReportsV1.ListLeadRowsRequest(sort: [RpcV1.SortKey(field: "password")]), "sort[0].field"),
            (ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(customFields: [LeadsV1.CustomFieldFilter(key: "nope", equals: ["x"])])), "filter.custom_fields[0].key"),
            (ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(customFields: [LeadsV1.CustomFieldFilter(key: "kw", min: "lots")])), "filter.custom_fields[0].min"),
            (ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(text: "a" + String(repeating: "\u{301}", count: 5_000))), "filter.text"),
            (ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(postalCodes: [String(repeating: "9", count: 60_000) + "*"])), "filter.postal_codes[0]"),
            (ReportsV1.ListLeadRowsRequest(pageSize: 501), "page_size"),
            (ReportsV1.ListLeadRowsRequest(pageToken: "garbage"), "page_token"),
        ] {
            let refused = await #expect(throws: RPCError.self) { _ = try await reports.all(request) }
            #expect(refused?.code == .invalidArgument && refused?.message.contains(field) == true, "\(field): \(String(describing: refused))")
        }
    }

    @Test("an agent cannot list all leads; My Leads is exactly the caller's; a unit manager's All Leads is her unit's")
    func roles() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events([
            T.user(10, "Boss", unit: 5), T.user(11, "Ana", unit: 5), T.user(12, "Other", unit: 6),
            T.put(T.lead(1, "Mine", owner: 11)), T.put(T.lead(2, "Assigned to me", owner: 12, assignedUser: 11)),
            T.put(T.lead(3, "Someone else's", owner: 12)), T.put(T.lead(4, "The unit's", unit: 5)),
        ], from: 1), configuration: T.configuration)
        let refused = await #expect(throws: RPCError.self) { _ = try await reports.all(as: agentAna) }
        #expect(refused?.code == .permissionDenied)
        let aggregate = await #expect(throws: RPCError.self) {
            let _: ReportsV1.PipelineResponse = try await reports.caller.call(T.M.pipeline, ReportsV1.PipelineRequest(), as: agentAna)
        }
        #expect(aggregate?.code == .permissionDenied)
        let mine: ReportsV1.ListLeadRowsResponse = try await reports.caller.call(T.M.listMyLeads, ReportsV1.ListLeadRowsRequest(), as: agentAna)
        #expect(Set(mine.rows.map(\.leadId)) == [1, 2] && mine.totalCount == 2)
        #expect(Set(try await reports.all(as: unitBoss).rows.map(\.leadId)) == [1, 2, 4])
        #expect(Set(try await reports.all().rows.map(\.leadId)) == [1, 2, 3, 4])
    }

    @Test("overdue leads come most overdue first, with how long; open work, workloads and the work report follow the activities feed")
    func overdueAndWork() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events([
            T.user(11, "Ana", unit: 5),
            T.put(T.lead(1, "Two days late", status: 2, assignedUser: 11, expected: T.now - 2 * T.day)),
            T.put(T.lead(2, "Five days late", status: 1, assignedUser: 11, expected: T.now - 5 * T.day)),
            T.put(T.lead(3, "Won late", status: 3, assignedUser: 11, expected: T.now - 9 * T.day)),
            T.put(T.lead(4, "Not yet due", status: 1, assignedUser: 11, expected: T.now + T.day)),
        ], from: 1), configuration: T.configuration)
        let overdue: ReportsV1.ListLeadRowsResponse = try await reports.caller.call(T.M.listOverdueLeads, ReportsV1.ListOverdueLeadsRequest(), as: manager)
        #expect(overdue.rows.map(\.leadId) == [2, 1])
        #expect(overdue.rows.map(\.timeOverdueMs) == [5 * T.day, 2 * T.day])
        let monday: ReportsV1.ListLeadRowsResponse = try await reports.caller.call(
            T.M.listOverdueLeads, ReportsV1.ListOverdueLeadsRequest(asOf: T.now + 3 * T.day), as: manager)
        #expect(monday.rows.map(\.leadId) == [2, 1, 4])

        let call = ActivitiesV1.Activity(id: 1, leadId: 1, typeId: 2, subject: "Call", startAt: T.now - T.day, assigneeId: 11, status: .open, createdAt: T.now - 3 * T.day)
        var task = ActivitiesV1.Task(id: 1, title: "Offer", typeId: 3, assigneeId: 11, dueAt: T.now + T.day, status: .open, leadId: 1, createdAt: T.now - T.day)
        try await reports.server.apply(activityEvents: [
            ActivitiesV1.ActivityEvent(sequence: 1, type: .created, entity: RpcV1.EntityRef(kind: .activity, id: 1), snapshot: .activity(call)),
            ActivitiesV1.ActivityEvent(sequence: 2, type: .created, entity: RpcV1.EntityRef(kind: .task, id: 1), snapshot: .task(task)),
        ], workTypes: [ActivitiesV1.WorkType(id: 2, scope: .activity, name: "Phone call"), ActivitiesV1.WorkType(id: 3, scope: .task, name: "Paperwork")])
        #expect(try await reports.all(ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(ids: [1]))).rows.first?.openWork == 2)
        let load: ReportsV1.OwnerWorkloadResponse = try await reports.caller.call(T.M.ownerWorkload, ReportsV1.OwnerWorkloadRequest(), as: manager)
        let ana = try #require(load.workloads.first { $0.userId == 11 })
        #expect(ana.openLeads == 3 && ana.overdueLeads == 2 && ana.openActivities == 1 && ana.openTasks == 1 && load.activitiesAsOfSequence == 2)
        let work: ReportsV1.WorkReportResponse = try await reports.caller.call(T.M.workReport, ReportsV1.WorkReportRequest(kind: .activity, groupBy: .type), as: manager)
        #expect(work.counts == [ReportsV1.WorkCount(key: "2", label: "Phone call", total: 1, open: 1, overdue: 1)])

        task.status = .completed
        try await reports.server.apply(activityEvents: [
            ActivitiesV1.ActivityEvent(sequence: 3, type: .updated, entity: RpcV1.EntityRef(kind: .task, id: 1), snapshot: .task(task)),
            ActivitiesV1.ActivityEvent(sequence: 4, type: .deleted, entity: RpcV1.EntityRef(kind: .activity, id: 1)),
        ])
        #expect(try await reports.all(ReportsV1.ListLeadRowsRequest(filter: LeadsV1.LeadFilter(ids: [1]))).rows.first?.openWork == 0)
        let bad = await #expect(throws: RPCError.self) {
            let _: ReportsV1.WorkReportResponse = try await reports.caller.call(T.M.workReport, ReportsV1.WorkReportRequest(kind: .task, groupBy: .priority), as: manager)
        }
        #expect(bad?.code == .invalidArgument && bad?.message.contains("group_by") == true)
    }

    @Test("a chart is an SVG of the aggregate; a list cannot be charted")
    func charts() async throws {
        let reports = try TestReports()
        defer { reports.stop() }
        try await reports.server.apply(leadEvents: T.events([T.put(T.lead(1, "A")), T.put(T.lead(2, "B", status: 3))], from: 1), configuration: T.configuration)
        let chart: ReportsV1.Chart = try await reports.caller.call(T.M.drawChart, ReportsV1.ChartRequest(query: ReportsV1.ReportQuery(kind: .pipeline), chart: .pie), as: manager)
        let svg = String(decoding: chart.data, as: UTF8.self)
        #expect(chart.contentType == "image/svg+xml" && svg.contains("Pipeline") && svg.contains("pending: 1") && svg.contains("won: 1"))
        let refused = await #expect(throws: RPCError.self) {
            let _: ReportsV1.Chart = try await reports.caller.call(T.M.drawChart, ReportsV1.ChartRequest(query: ReportsV1.ReportQuery(kind: .allLeads)), as: manager)
        }
        #expect(refused?.code == .invalidArgument && refused?.message.contains("query.kind") == true)
    }
}
