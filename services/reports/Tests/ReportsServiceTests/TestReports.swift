import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMServiceTesting
import CRMWire
import Foundation
@testable import ReportsService

/// crm-reports on a fresh database, its feeds played by the test: events are applied as the
/// followers would apply them, and the RPCs are called in process.
final class TestReports: Sendable {
    static let secret = String(repeating: "r", count: 40)
    let folder: URL
    let server: ReportsServer
    let caller: InProcessCaller
    typealias M = ReportsV1.Reports.Method

    init(now: Int64 = TestReports.now) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-reports-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        server = try ReportsServer(ReportsServer.Configuration(
            databasePath: folder.appendingPathComponent("reports.sqlite").path, authSecret: Self.secret, leads: nil, activities: nil,
            clock: .fixed(now), accounts: { claimed, _ in claimed }))
        caller = try InProcessCaller(router: server.router(), secret: Self.secret, clock: .fixed(now))
    }

    func stop() {
        try? server.database.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// 2026-12-01T00:00:00Z.
    static let now: Int64 = 1_796_083_200_000
    static let day: Int64 = 86_400_000

    static let configuration = LeadsV1.Configuration(
        statuses: [
            LeadsV1.LeadStatus(id: 1, name: "New", state: .pending), LeadsV1.LeadStatus(id: 2, name: "Qualifying", state: .inProgress),
            LeadsV1.LeadStatus(id: 3, name: "Won", state: .won), LeadsV1.LeadStatus(id: 4, name: "Lost", state: .lost),
            LeadsV1.LeadStatus(id: 5, name: "Cancelled", state: .cancelled),
        ],
        types: [LeadsV1.LeadType(id: 1, name: "Energy supply"), LeadsV1.LeadType(id: 2, name: "Solar panels")],
        catalog: [LeadsV1.CatalogItem(id: 7, kind: .sourceType, name: "Web form"), LeadsV1.CatalogItem(id: 8, kind: .sourceType, name: "Fair")],
        customFields: [LeadsV1.CustomFieldDefinition(key: "cups", label: "CUPS", type: .text), LeadsV1.CustomFieldDefinition(key: "kw", label: "kW", type: .integer)])

    static let stateOfStatus: [Int64: LeadsV1.LifecycleState] = [1: .pending, 2: .inProgress, 3: .won, 4: .lost, 5: .cancelled]

    static func lead(_ id: Int64, _ name: String, status: Int64 = 1, type: Int64 = 1, owner: Int64 = 0, assignedUser: Int64 = 0, unit: Int64 = 0,
                     amount: Int64 = 0, currency: String = "EUR", probability: Int32 = 0, campaign: String = "", source: Int64 = 0,
                     created: Int64 = now - day, expected: Int64 = 0, company: String = "", email: String = "", postalCode: String = "",
                     custom: [LeadsV1.CustomFieldValue] = []) -> LeadsV1.Lead {
        LeadsV1.Lead(id: id, fullName: name, company: company, emails: email.isEmpty ? [] : [email], postalCode: postalCode, campaign: campaign,
                     sourceTypeId: source, typeId: type, statusId: status, state: stateOfStatus[status] ?? .pending, probability: probability,
                     targetAmount: amount == 0 ? nil : RpcV1.Money(amountMinor: amount, currency: currency), ownerId: owner, assignedUnitId: unit,
                     assignedUserId: assignedUser, expectedCompletionAt: expected, customFields: custom, version: 1, createdAt: created, updatedAt: created)
    }

    /// Events numbered from `first`.
    static func events(_ changes: [LeadsV1.LeadEvent], from first: Int64) -> [LeadsV1.LeadEvent] {
        changes.enumerated().map { i, e in
            var e = e
            e.sequence = first + Int64(i)
            return e
        }
    }

    static func put(_ lead: LeadsV1.Lead) -> LeadsV1.LeadEvent { LeadsV1.LeadEvent(type: .updated, entityId: lead.id, lead: lead) }
    static func delete(_ id: Int64) -> LeadsV1.LeadEvent { LeadsV1.LeadEvent(type: .deleted, entityId: id) }
    static func user(_ id: Int64, _ name: String, unit: Int64 = 0) -> LeadsV1.LeadEvent {
        LeadsV1.LeadEvent(type: .userChanged, entityId: id, user: LeadsV1.User(id: id, login: "u\(id)", name: name, unitId: unit, active: true))
    }

    func all(_ request: ReportsV1.ListLeadRowsRequest = .init(), as who: Caller = manager) async throws -> ReportsV1.ListLeadRowsResponse {
        try await caller.call(M.listAllLeads, request, as: who)
    }

    /// Every row of All Leads, following the cursor.
    func everyRow(_ request: ReportsV1.ListLeadRowsRequest = .init(pageSize: 7)) async throws -> [ReportsV1.LeadRow] {
        var request = request, rows: [ReportsV1.LeadRow] = []
        repeat {
            let page = try await all(request)
            rows += page.rows
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return rows
    }
}

let manager = Caller(userID: 1, role: .salesManager, unitID: 0)
let agentAna = Caller(userID: 11, role: .agent, unitID: 5)
let unitBoss = Caller(userID: 10, role: .unitManager, unitID: 5)

/// A seeded generator, so a random test that fails fails again.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
