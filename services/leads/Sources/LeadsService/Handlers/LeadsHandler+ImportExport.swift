import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import GRDB

// CSV import and export. Rows are parsed and checked off the writer (on the blocking pool), in
// parts that the writer stores as they are ready; one transaction stores a whole chunk, so a
// retried chunk with its idempotency key creates nothing twice.
extension LeadsHandler {
    static let maxImportBytes = 3 * 1024 * 1024
    /// Rows one call may import: one transaction stores them, and the writer is the service's
    /// only one, so this bounds how long another user's create waits behind an import (about
    /// 0.2 s).
    static let maxImportRows = 5_000
    /// The most row errors one answer lists (counts are always complete).
    static let maxReportedRowErrors = 1_000
    /// Rows checked together on the blocking pool: small enough that the writer starts soon,
    /// large enough that handing a part over costs nothing next to checking it.
    static let importPartRows = 1_000

    func importLeads(request: LeadsV1.ImportLeadsRequest, context: ServerContext) async throws -> LeadsV1.ImportLeadsResponse {
        let caller = try context.caller()
        var v = Violations()
        if request.csv.isEmpty { v.add("csv", "is required: a header row, then one row per lead") }
        if request.csv.count > Self.maxImportBytes { v.add("csv", "must be at most 3 MiB; split the file and give each part's first_row_number") }
        if request.firstRowNumber < 0 { v.add("first_row_number", "must not be negative") }
        if request.mapping.count > 200 { v.add("mapping", "must have at most 200 columns") }
        TextRules.check(request.fileName, field: "file_name", required: false, max: 255, into: &v)
        try v.check()
        // A few imports at a time: each holds its file, its parsed rows and a share of the CPU.
        return try await env.imports.run { try await importRows(request, caller: caller, context: context) }
    }

    private func importRows(_ request: LeadsV1.ImportLeadsRequest, caller: Caller, context: ServerContext) async throws -> LeadsV1.ImportLeadsResponse {
        let logins = try await env.database.read { db in try DirectoryStore.names(db) }.logins
        let userIDs = Dictionary(logins.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let now = env.clock.millis()
        // The rows are checked and encoded against the configuration as committed now; should
        // it change before the write, they are read again (a rare race, so a bounded retry).
        for _ in 0..<3 {
            let seen = try await env.database.read { db in try env.database.configuration.snapshot(db) }
            let prepared = try await prepareImport(request, caller: caller, configuration: seen.configuration, userIDs: userIDs, now: now)
            do {
                let response = try await storeImport(
                    request, prepared, generation: seen.generation, knownUsers: Set(logins.keys), caller: caller, context: context, now: now)
                return response
            } catch is ConfigurationChanged {
                continue
            }
        }
        throw DomainError.stale("the lead configuration kept changing while the file was read; send it again")
    }

    /// Rows of a file, parsed, and being checked and encoded for the writer.
    private struct PreparedImport: Sendable {
        struct Row: Sendable {
            var number: Int
            var lead: NewLead?
            var errors: [LeadImport.RowError]
            /// For the file's own duplicates.
            var contacts: [LeadStore.Contact]
        }

        var plan: LeadImport
        var rowCount: Int
        var rows: PartsInProgress<Row>
    }

    /// Raised in the writer when the configuration the rows were checked against is no longer
    /// the committed one.
    private struct ConfigurationChanged: Error {}

    /// Parses a file and starts checking its rows: CPU work, on the blocking pool (off the event
    /// loops, the cooperative pool and the writer), in parts of rows that the writer takes in
    /// order as each is ready.
    private func prepareImport(
        _ request: LeadsV1.ImportLeadsRequest, caller: Caller, configuration: LeadConfiguration, userIDs: [String: Int64], now: Int64
    ) async throws -> PreparedImport {
        let parsed = try await env.offload { () -> Result<(plan: LeadImport, header: Int, columns: Int, records: [(number: Int, fields: [String])]), DomainError> in
            let records: [(number: Int, fields: [String])]
            do {
                records = try CSV.parse(request.csv)
            } catch {
                return .failure(.invalid([Violation("csv", "is not valid CSV: \(error)")]))
            }
            guard let header = records.first else { return .failure(.invalid([Violation("csv", "has no header row")])) }
            guard records.count - 1 <= Self.maxImportRows else {
                return .failure(.invalid([Violation("csv", "has \(records.count - 1) rows; at most 5,000 rows per call: split the file and give each part's first_row_number")]))
            }
            var v = Violations()
            let plan = LeadImport(
                header: header.fields, mapping: request.mapping.map { ($0.column, $0.field) }, configuration: configuration, caller: caller,
                now: now, userIDs: userIDs, into: &v)
            if !v.all.isEmpty { return .failure(.invalid(v.all)) }
            return .success((plan, header.number, header.fields.count, Array(records.dropFirst())))
        }
        let (plan, headerNumber, columns, records) = try parsed.get()
        let firstRow = Int(max(request.firstRowNumber, 1))
        let rows = PartsInProgress(count: records.count, partSize: Self.importPartRows) { range in
            records[range].map { record -> PreparedImport.Row in
                let number = record.number - headerNumber - 1 + firstRow
                switch plan.lead(row: number, fields: record.fields, header: columns) {
                case .errors(let errors):
                    return PreparedImport.Row(number: number, lead: nil, errors: errors, contacts: [])
                case .lead(let lead):
                    guard let new = try? NewLead(lead, actor: caller.userID, at: now) else {
                        let error = LeadImport.RowError(row: number, column: "", message: "cannot be encoded for the event feed")
                        return PreparedImport.Row(number: number, lead: nil, errors: [error], contacts: [])
                    }
                    return PreparedImport.Row(number: number, lead: new, errors: [], contacts: LeadStore.contacts(emails: lead.emails, phones: lead.phones))
                }
            }
        }
        return PreparedImport(plan: plan, rowCount: records.count, rows: rows)
    }

    /// Stores the good rows of a prepared file in one transaction (with the call's idempotency
    /// key): duplicates within the file and against stored leads are refused row by row.
    private func storeImport(
        _ request: LeadsV1.ImportLeadsRequest, _ prepared: PreparedImport, generation: Int64, knownUsers: Set<Int64>, caller: Caller, context: ServerContext, now: Int64
    ) async throws -> LeadsV1.ImportLeadsResponse {
        let reason = request.fileName.isEmpty ? "row " : "\(request.fileName), row "
        return try await env.mutate(context, caller: caller) { db -> LeadsV1.ImportLeadsResponse in
            let current = try env.database.configuration.snapshot(db)
            guard current.generation == generation else { throw ConfigurationChanged() }
            let plan = prepared.plan
            var response = LeadsV1.ImportLeadsResponse(rowsRead: Int32(prepared.rowCount))
            func reject(_ errors: [LeadImport.RowError], duplicate: Bool = false) {
                if duplicate { response.duplicates += 1 } else { response.failed += 1 }
                for e in errors where response.errors.count < Self.maxReportedRowErrors {
                    response.errors.append(LeadsV1.RowError(row: Int32(e.row), column: e.column, message: e.message))
                }
            }
            var seen: [LeadStore.Contact: Int] = [:]  // contact -> the row that has it
            seen.reserveCapacity(prepared.rowCount * 2)
            // Waits for each part of the rows as it comes to it: the writer stores one part while
            // the blocking pool checks the next.
            try prepared.rows.forEach { row in
                guard let new = row.lead else {
                    return reject(row.errors)
                }
                let lead = new.record
                if lead.ownerID != caller.userID && !knownUsers.contains(lead.ownerID) {
                    return reject([.init(row: row.number, column: plan.header(of: "owner_id"), message: "names no user (\(lead.ownerID))")])
                }
                if !request.allowDuplicates {
                    if let contact = row.contacts.first(where: { seen[$0] != nil }) {
                        return reject([.init(row: row.number, column: plan.header(of: contact.kind + "s"),
                                             message: "has the same \(contact.kind) as row \(seen[contact]!) (\(contact.value))")], duplicate: true)
                    }
                    if let match = try LeadStore.firstDuplicate(db, emails: lead.emails, phones: lead.phones) {
                        return reject([.init(row: row.number, column: plan.header(of: match.kind + "s"),
                                             message: "has the same \(match.kind) as \(try Self.duplicateOwner(db, match.leadID, caller)) (\(match.value))")], duplicate: true)
                    }
                }
                for contact in row.contacts where seen[contact] == nil { seen[contact] = row.number }
                response.created += 1
                if request.dryRun { return }
                let saved = try LeadStore.insert(db, new, action: "imported", actorID: caller.userID, reason: reason + String(row.number))
                _ = try applyRules(db, saved, rules: current.rules, now: now)
                response.createdIds.append(saved.id)
            }
            return response
        }
    }

    func exportLeads(request: LeadsV1.ExportLeadsRequest, response writer: ResponseWriter<RpcV1.CsvChunk>, context: ServerContext) async throws {
        let caller = try context.caller()
        let now = env.clock.millis()
        let configuration = try await env.configuration()
        let names = try await env.database.read { db in try DirectoryStore.names(db) }
        var v = Violations()
        let query = LeadQuery(filter: request.filter ?? LeadsV1.LeadFilter(), sort: request.sort, now: now, configuration: configuration, into: &v)
        LeadAccess.check(query.view, for: caller, into: &v)
        if query.view == .all && !caller.role.seesAllLeads { v.add("filter.view", "All Leads is for managers and admins") }
        let export = LeadExport(columns: request.columns, configuration: configuration, logins: names.logins, units: names.units, into: &v)
        try v.check()
        // The ids first, in order; then the leads a batch at a time, so no read transaction
        // stays open while the client is slow to take the chunks.
        let (ids, members) = try await env.database.read { db in
            (try LeadQueryStore.ids(db, query, caller: caller, now: now), try DirectoryStore.unitMembers(db, of: caller))
        }
        var text = CSV.record(export.header)
        var rows: Int32 = 0
        for start in stride(from: 0, to: max(ids.count, 1), by: 500) {
            let batch = Array(ids[start..<min(start + 500, ids.count)])
            for lead in try await env.database.read({ db in try LeadQueryStore.leads(db, ids: batch) }) where LeadAccess.canSee(caller, lead, unitMembers: members) {
                text += CSV.record(export.row(lead, now: now))
                rows += 1
            }
            if text.utf8.count >= 512 * 1024 {
                try await writer.write(RpcV1.CsvChunk(data: Array(text.utf8), rows: rows))
                text = ""
                rows = 0
            }
        }
        if !text.isEmpty { try await writer.write(RpcV1.CsvChunk(data: Array(text.utf8), rows: rows)) }
    }
}
