import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMServiceTesting
import CRMWire
import CommsDomain
import Foundation
import Synchronization
@testable import CommsService

/// crm-comms on a fresh database, called in process, with crm-leads played by a table.
final class TestComms: Sendable {
    static let secret = String(repeating: "c", count: 40)
    let folder: URL
    let server: CommsServer
    let caller: InProcessCaller

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-comms-test-\(UUID().uuidString)")
        let table = LeadsTable()
        self.table = table
        let reader = LeadsReader(
            lead: { id, context in
                let caller = try context.caller()
                return table.leads.withLock { leads in
                    guard let (lead, viewers) = leads[id] else { return nil }
                    return caller.role.seesAllLeads || viewers == nil || viewers!.contains(caller.userID) ? lead : nil
                }
            },
            configuration: { _ in
                LeadsV1.Configuration(
                    statuses: [LeadsV1.LeadStatus(id: 3, name: "Qualifying", state: .inProgress, active: true)],
                    types: [LeadsV1.LeadType(id: 2, name: "Energy supply")],
                    priorityLabels: [LeadsV1.LevelLabel(level: 8, label: "High", supported: true)],
                    importanceLabels: [LeadsV1.LevelLabel(level: 7, label: "Key account", supported: true)],
                    customFields: [LeadsV1.CustomFieldDefinition(key: "cups", label: "CUPS")])
            },
            user: { id, _ in table.users.withLock { $0[id] } },
            account: { claimed, _ in claimed },
            leads: { filter, limit, context in
                // The filter's countries, over the leads the caller may see.
                let caller = try context.caller()
                return table.leads.withLock { leads in
                    leads.values.filter { lead, viewers in
                        (caller.role.seesAllLeads || viewers == nil || viewers!.contains(caller.userID)) && (filter.countries.isEmpty || filter.countries.contains(lead.country))
                    }.map(\.0).sorted { $0.id < $1.id }
                }
            },
            recordMessage: { request in
                if table.leadsDown.withLock({ $0 }) { throw RPCError(.unavailable, "crm-leads is down") }
                table.recorded.withLock { $0.append(request) }
            })
        server = try CommsServer(CommsServer.Configuration(
            databasePath: folder.appendingPathComponent("comms.sqlite").path, authSecret: Self.secret, leads: reader,
            maildir: folder.appendingPathComponent("outbox").path, fromAddress: "crm@crm.example"))
        caller = try InProcessCaller(router: server.router(), secret: Self.secret)
    }

    let table: LeadsTable

    final class LeadsTable: Sendable {
        let leads = Mutex<[Int64: (LeadsV1.Lead, Set<Int64>?)]>([:])
        let users = Mutex<[Int64: LeadsV1.User]>([:])
        let recorded = Mutex<[LeadsV1.RecordMessageRequest]>([])
        let leadsDown = Mutex(false)
    }

    func stop() {
        try? server.database.close()
        try? FileManager.default.removeItem(at: folder)
    }

    func add(_ lead: LeadsV1.Lead, visibleTo: Set<Int64>? = nil) { table.leads.withLock { $0[lead.id] = (lead, visibleTo) } }
    func add(_ user: LeadsV1.User) { table.users.withLock { $0[user.id] = user } }

    var delivered: [String] {
        let folder = self.folder.appendingPathComponent("outbox/new")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return names.map { String(decoding: FileManager.default.contents(atPath: folder.appendingPathComponent($0).path) ?? Data(), as: UTF8.self) }
    }

    /// The decoded text parts of a delivered message.
    static func bodies(_ message: String) -> [String] {
        let parts = message.components(separatedBy: "\r\n\r\n").dropFirst()
        return parts.compactMap { part in
            let base64 = part.components(separatedBy: "\r\n").prefix { !$0.hasPrefix("--") }.joined()
            return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    typealias M = CommsV1.Comms.Method
}

let admin = Caller(userID: 1, role: .admin, unitID: 0)
let agent = Caller(userID: 4, role: .agent, unitID: 0)
