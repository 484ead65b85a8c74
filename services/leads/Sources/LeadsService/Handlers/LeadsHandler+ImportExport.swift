import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

// CSV import and export. Rows are parsed and checked off the writer (on the blocking pool); one
// transaction stores a whole chunk, so a retried chunk with its idempotency key creates nothing
// twice.
extension LeadsHandler {
    static let maxImportBytes = 3 * 1024 * 1024
    /// The most row errors one answer lists (counts are always complete).
    static let maxReportedRowErrors = 1_000

    func importLeads(_ request: LeadsV1.ImportLeadsRequest, _ context: ServerContext) async throws -> LeadsV1.ImportLeadsResponse {
        try await env.run {
            let caller = try env.caller(context)
            var v = Violations()
            if request.csv.isEmpty { v.add("csv", "is required: a header row, then one row per lead") }
            if request.csv.count > Self.maxImportBytes { v.add("csv", "must be at most 3 MiB; split the file and give each part's first_row_number") }
            if request.firstRowNumber < 0 { v.add("first_row_number", "must not be negative") }
            if request.mapping.count > 200 { v.add("mapping", "must have at most 200 columns") }
            TextRules.check(request.fileName, field: "file_name", required: false, max: 255, into: &v)
            try v.check()
            let configuration = try await env.configuration()
            let names = try await env.database.read { db in try DirectoryStore.names(db) }
            let now = env.clock.millis()
            // Parsing and checking rows is CPU work: off the event loops and the cooperative pool.
            let parsed = try await env.offload { () -> Result<(LeadImport, [(row: Int, outcome: LeadImport.Row)]), DomainError> in
                let records: [(number: Int, fields: [String])]
                do {
                    records = try CSV.parse(request.csv)
                } catch {
                    return .failure(.invalid([Violation("csv", "is not valid CSV: \(error)")]))
                }
                guard let header = records.first else { return .failure(.invalid([Violation("csv", "has no header row")])) }
                var v = Violations()
                let plan = LeadImport(
                    header: header.fields, mapping: request.mapping.map { ($0.column, $0.field) }, configuration: configuration, caller: caller,
                    now: now, userIDs: Dictionary(names.logins.map { ($1, $0) }, uniquingKeysWith: { a, _ in a }), into: &v)
                if !v.all.isEmpty { return .failure(.invalid(v.all)) }
                let firstRow = Int(max(request.firstRowNumber, 1))
                let rows = records.dropFirst().map { record in
                    let row = record.number - header.number - 1 + firstRow
                    return (row: row, outcome: plan.lead(row: row, fields: record.fields, header: header.fields.count))
                }
                return .success((plan, rows))
            }
            let (plan, rows) = try parsed.get()
            let knownUsers = Set(names.logins.keys)
            let response = try await env.mutate(context, caller: caller) { db -> LeadsV1.ImportLeadsResponse in
                var response = LeadsV1.ImportLeadsResponse(rowsRead: Int32(rows.count))
                func reject(_ errors: [LeadImport.RowError], duplicate: Bool = false) {
                    if duplicate { response.duplicates += 1 } else { response.failed += 1 }
                    for e in errors where response.errors.count < Self.maxReportedRowErrors {
                        response.errors.append(LeadsV1.RowError(row: Int32(e.row), column: e.column, message: e.message))
                    }
                }
                var seen: [String: Int] = [:]  // "email:x" / "phone:y" -> the row that has it
                for (row, outcome) in rows {
                    guard case .lead(let lead) = outcome else {
                        if case .errors(let errors) = outcome { reject(errors) }
                        continue
                    }
                    if lead.ownerID != caller.userID && !knownUsers.contains(lead.ownerID) {
                        reject([.init(row: row, column: plan.header(of: "owner_id"), message: "names no user (\(lead.ownerID))")])
                        continue
                    }
                    let contacts = lead.emails.map { ("email", $0) } + lead.phones.map { ("phone", $0) }
                    if !request.allowDuplicates {
                        if let (kind, value) = contacts.first(where: { seen["\($0.0):\($0.1)"] != nil }) {
                            reject([.init(row: row, column: plan.header(of: kind + "s"), message: "has the same \(kind) as row \(seen["\(kind):\(value)"]!) (\(value))")], duplicate: true)
                            continue
                        }
                        if let match = try LeadStore.duplicates(db, emails: lead.emails, phones: lead.phones, excluding: 0).first {
                            reject([.init(row: row, column: plan.header(of: match.kind + "s"), message: "has the same \(match.kind) as lead \(match.leadID) (\(match.value))")], duplicate: true)
                            continue
                        }
                    }
                    for (kind, value) in contacts where seen["\(kind):\(value)"] == nil { seen["\(kind):\(value)"] = row }
                    response.created += 1
                    if request.dryRun { continue }
                    let saved = try LeadStore.insert(db, lead)
                    try LeadStore.addHistory(db, leadID: saved.id, action: "imported", actorID: caller.userID, at: now,
                                             changes: LeadDiff.changes(from: LeadRecord(), to: saved), version: saved.version,
                                             reason: request.fileName.isEmpty ? "row \(row)" : "\(request.fileName), row \(row)")
                    try appendEvent(db, .leadChanged(.created, saved, actor: caller.userID, at: now))
                    _ = try applyRules(db, saved, now: now)
                    response.createdIds.append(saved.id)
                }
                return response
            }
            if !request.dryRun && response.created > 0 { notifier.signal() }
            return response
        }
    }

    func exportLeads(_ request: LeadsV1.ExportLeadsRequest, _ writer: ResponseWriter<RpcV1.CsvChunk>, _ context: ServerContext) async throws {
        try await env.run {
            let caller = try env.caller(context)
            let now = env.clock.millis()
            let configuration = try await env.configuration()
            let names = try await env.database.read { db in try DirectoryStore.names(db) }
            var v = Violations()
            let query = LeadQuery(filter: request.filter ?? LeadsV1.LeadFilter(), sort: request.sort, now: now, configuration: configuration, into: &v)
            if query.view == .all && !caller.role.seesAllLeads { v.add("filter.view", "All Leads is for managers and admins") }
            let export = LeadExport(columns: request.columns, configuration: configuration, logins: names.logins, units: names.units, into: &v)
            try v.check()
            // The ids first, in order; then the leads a batch at a time, so no read transaction
            // stays open while the client is slow to take the chunks.
            let ids = try await env.database.read { db in try LeadQueryStore.ids(db, query, caller: caller, now: now) }
            var text = CSV.record(export.header)
            var rows: Int32 = 0
            for start in stride(from: 0, to: max(ids.count, 1), by: 500) {
                let batch = Array(ids[start..<min(start + 500, ids.count)])
                for lead in try await env.database.read({ db in try LeadQueryStore.leads(db, ids: batch) }) where LeadAccess.canSee(caller, lead) {
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
}
