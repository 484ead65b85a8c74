import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

extension Leads {
    struct Duplicates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find leads with the same e-mail or phone as a lead (then `crm leads merge`).")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let (found, _) = try await connection.withLeads(naming: output) { client, options in
                    let lead = try await client.getLead(LeadsV1.GetLeadRequest(id: id), options: options)
                    return try await client.findDuplicates(LeadsV1.FindDuplicatesRequest(emails: lead.emails, phones: lead.phones, excludeId: id), options: options)
                }
                try output.print(found, Table(header: ["id", "name", "matched on", "value"], rows: found.matches.map {
                    [String($0.leadId), $0.fullName, $0.matchedOn, $0.value]
                }))
            }
        }
    }

    struct Assignments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every assignment of a lead, newest first.")
        @Argument(help: "The lead's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let (list, names) = try await connection.withLeads(naming: output) { client, options in
                    try await client.listAssignments(LeadsV1.ListAssignmentsRequest(leadId: id, pageSize: 500), options: options)
                }
                func target(_ unit: Int64, _ user: Int64) -> String {
                    [names.unit(unit), names.user(user)].filter { !$0.isEmpty }.joined(separator: ", ")
                }
                try output.print(list, Table(header: ["when", "by", "from", "to", "rule", "note"], rows: list.assignments.map {
                    [showTime($0.assignedAt), names.user($0.assignedBy), target($0.fromUnitId, $0.fromUserId), target($0.toUnitId, $0.toUserId),
                     $0.ruleId == 0 ? "" : String($0.ruleId), $0.note]
                }))
            }
        }
    }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a lead as read (or, with --unread, as unread) for you.")
        @Argument(help: "The lead's id.") var id: Int64
        @Flag(help: "Mark it unread instead.") var unread = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn(changing: true)
                _ = try await connection.withLeads { rpc in
                    try await LeadsV1.Leads.Client(rpc).markRead(LeadsV1.MarkReadRequest(id: id, read: !unread), options: options)
                }
                print("Lead \(id) marked \(unread ? "unread" : "read").")
            }
        }
    }
}
