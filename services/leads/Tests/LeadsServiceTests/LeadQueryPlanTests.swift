import CRMDomain
import Foundation
import GRDB
import Testing
@testable import LeadsDomain
@testable import LeadsService
import CRMService

@Suite("Lead lists use their indexes", .timeLimit(.minutes(3)))
struct LeadQueryPlanTests {
    /// What SQLite plans for a page of `query` seen by an admin.
    func plan(_ query: LeadQuery, after cursor: PageCursor? = nil) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try LeadsDatabase(path: folder.appendingPathComponent("leads.sqlite").path)
        let s = LeadQueryStore.pageStatements(query, caller: Caller(userID: 1, role: .admin, unitID: 0), now: 0, after: cursor, limit: 50)
        return try database.pool.read { db in
            try [(s.ids, s.idArguments), (s.count, s.countArguments)].flatMap { sql, arguments in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
        }
    }

    @Test("a campaign, region and state page and its count read only the covering index, in its order")
    func campaignRegionState() throws {
        var query = LeadQuery()
        query.campaigns = ["winter"]
        query.regions = ["Madrid"]
        query.states = [.pending]
        let steps = try plan(query)
        #expect(steps.filter { $0.contains("COVERING INDEX lead_on_campaign_region_state") }.count == 2, "\(steps)")
        #expect(!steps.contains { $0.contains("TEMP B-TREE") }, "\(steps)")  // no sort: the index gives the order
        // A later page starts inside the index (the cursor is a range of it) and sorts nothing.
        let later = try plan(query, after: PageCursor(query: "", values: [.int(1_700_000_000_000)], id: 40))
        #expect(later.contains { $0.contains("lead_on_campaign_region_state") } && !later.contains { $0.contains("TEMP B-TREE") }, "\(later)")
        query.regions = []
        query.states = []
        #expect(try plan(query).contains { $0.contains("lead_on_campaign_region_state") })  // a campaign alone uses its prefix
    }
}
