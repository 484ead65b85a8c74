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
        if case .unrecognized = request.mode { v.add("mode", "must be IMPORT_MODE_CREATE, IMPORT_MODE_UPDATE or IMPORT_MODE_UPSERT") }
        if request.matchOn.count > 10 { v.add("match_on", "must name at most 10 fields") }
        if request.mode != .create && request.allowDuplicates { v.add("allow_duplicates", "is for IMPORT_MODE_CREATE: the other modes update the lead a row matches") }
        if request.mode == .create && !request.matchOn.isEmpty { v.add("match_on", "is for IMPORT_MODE_UPDATE and IMPORT_MODE_UPSERT: a new lead's duplicates are the duplicate fields'") }
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

    /// What a request matches rows by: lead ids, and keys of indexed fields.
    struct ImportMatching: Sendable {
        var byID: Bool
        var fields: [DuplicateRule.Field]

        /// `match_on` read against the rule; a field the store does not index cannot be matched
        /// by (it would take a scan of every lead per row).
        init(_ names: [String], rule: DuplicateRule, customKeys: Set<String>, into v: inout Violations) {
            byID = names.contains("id")
            fields = []
            for (i, name) in names.enumerated() where name != "id" {
                guard let field = DuplicateRule.Field(name, customKeys: customKeys) else {
                    v.add("match_on[\(i)]", "must be id, emails, phones, company_name or custom_fields.KEY (\(name))")
                    continue
                }
                guard rule.indexed.contains(field) else {
                    v.add("match_on[\(i)]", "\(name) is not a duplicate field of the active lead definition, so leads are not looked up by it; add it to the definition's duplicate_fields first")
                    continue
                }
                fields.append(field)
            }
            if names.isEmpty { fields = rule.fields }
        }
    }

    /// Rows of a file, parsed, and being checked and encoded for the writer.
    private struct PreparedImport: Sendable {
        struct Row: Sendable {
            var number: Int
            /// The row's cells (nil when they have errors).
            var cells: LeadImport.Cells?
            /// The lead a new row creates, checked and encoded (create and upsert modes).
            var lead: NewLead?
            var errors: [LeadImport.RowError]
            /// What the row is matched to stored leads and to earlier rows by.
            var keys: [DuplicateRule.Key]
        }

        var plan: LeadImport
        var matching: ImportMatching
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
        typealias Parsed = (plan: LeadImport, matching: ImportMatching, header: Int, columns: Int, records: [(number: Int, fields: [String])])
        let parsed = try await env.offload { () -> Result<Parsed, DomainError> in
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
                now: now, userIDs: userIDs, creating: request.mode == .create, into: &v)
            let matching = ImportMatching(request.matchOn, rule: DuplicateRule(configuration), customKeys: Set(configuration.customFields.filter(\.active).map(\.key)), into: &v)
            if matching.byID && plan.idColumn == nil { v.add("match_on", "names id, but the file has no id column") }
            if !v.all.isEmpty { return .failure(.invalid(v.all)) }
            return .success((plan, matching, header.number, header.fields.count, Array(records.dropFirst())))
        }
        let (plan, matching, headerNumber, columns, records) = try parsed.get()
        let firstRow = Int(max(request.firstRowNumber, 1))
        let creates = request.mode != .update
        let rows = PartsInProgress(count: records.count, partSize: Self.importPartRows) { range in
            records[range].map { record -> PreparedImport.Row in
                let number = record.number - headerNumber - 1 + firstRow
                let cells: LeadImport.Cells
                switch plan.cells(row: number, fields: record.fields, header: columns) {
                case .failure(let errors): return PreparedImport.Row(number: number, errors: errors.all, keys: [])
                case .success(let read): cells = read
                }
                var row = PreparedImport.Row(number: number, cells: cells, errors: [], keys: [])
                guard creates else {
                    row.keys = plan.keys(of: cells, for: matching.fields)
                    return row
                }
                switch plan.lead(row: number, cells) {
                case .errors(let errors):
                    // An upsert row may still update the lead it matches with what it has.
                    if request.mode == .upsert { row.keys = plan.keys(of: cells, for: matching.fields) }
                    row.errors = errors
                case .lead(let lead):
                    guard let new = try? NewLead(lead, actor: caller.userID, at: now) else {
                        row.errors = [LeadImport.RowError(row: number, column: "", message: "cannot be encoded for the event feed")]
                        return row
                    }
                    row.lead = new
                    row.keys = matching.fields.flatMap { DuplicateRule.keys(of: lead, for: $0) }  // create mode: the rule's fields
                }
                return row
            }
        }
        return PreparedImport(plan: plan, matching: matching, rowCount: records.count, rows: rows)
    }

    /// Stores a prepared file in one transaction (with the call's idempotency key), row by row:
    /// a new lead for a row that matches none (create and upsert), an update of the one it
    /// matches (update and upsert), or the row's failure.
    private func storeImport(
        _ request: LeadsV1.ImportLeadsRequest, _ prepared: PreparedImport, generation: Int64, knownUsers: Set<Int64>, caller: Caller, context: ServerContext, now: Int64
    ) async throws -> LeadsV1.ImportLeadsResponse {
        let reason = request.fileName.isEmpty ? "row " : "\(request.fileName), row "
        return try await env.mutate(context, caller: caller) { db -> LeadsV1.ImportLeadsResponse in
            let current = try env.database.configuration.snapshot(db)
            guard current.generation == generation else { throw ConfigurationChanged() }
            let plan = prepared.plan
            let rule = DuplicateRule(current.configuration)
            let members = try DirectoryStore.unitMembers(db, of: caller)
            var response = LeadsV1.ImportLeadsResponse(rowsRead: Int32(prepared.rowCount))
            func record(_ row: Int, _ outcome: LeadsV1.RowOutcome, _ leadID: Int64 = 0) {
                response.rows.append(LeadsV1.RowResult(row: Int32(row), outcome: outcome, leadId: leadID))
            }
            func reject(_ row: Int, _ errors: [LeadImport.RowError], duplicate: Bool = false, lead: Int64 = 0) {
                if duplicate { response.duplicates += 1 } else { response.failed += 1 }
                record(row, .failed, lead)
                for e in errors {
                    if response.errors.count < Self.maxReportedRowErrors {
                        response.errors.append(LeadsV1.RowError(row: Int32(e.row), column: e.column, message: e.message))
                    } else {
                        response.unlistedErrors += 1
                    }
                }
            }
            func column(of key: DuplicateRule.Key) -> String { plan.header(of: Self.duplicateField(key)) }
            /// Updates lead `id` with a row's cells, as UpdateLead would let the caller.
            func update(_ id: Int64, row: PreparedImport.Row, cells: LeadImport.Cells) throws {
                guard let existing = try LeadStore.lead(db, id: id), LeadAccess.canSee(caller, existing, unitMembers: members) else {
                    return reject(row.number, [.init(row: row.number, column: "", message: "matches a lead you may not see")])
                }
                let lead: LeadRecord
                switch plan.updated(existing, row: row.number, cells) {
                case .errors(let errors): return reject(row.number, errors, lead: id)
                case .lead(let changed): lead = changed
                }
                if lead.ownerID != existing.ownerID && !knownUsers.contains(lead.ownerID) {
                    return reject(row.number, [.init(row: row.number, column: plan.header(of: "owner_id"), message: "names no user (\(lead.ownerID))")], lead: id)
                }
                if LeadDiff.changes(from: existing, to: lead).isEmpty {
                    response.unchanged += 1
                    return record(row.number, .unchanged, id)
                }
                response.updated += 1
                record(row.number, .updated, id)
                if request.dryRun { return }
                _ = try save(db, old: existing, new: lead, actor: caller.userID, now: now, action: "imported", reason: reason + String(row.number))
            }
            var seen: [DuplicateRule.Key: Int] = [:]  // key -> the row that created a lead with it
            seen.reserveCapacity(prepared.rowCount * 2)
            // Waits for each part of the rows as it comes to it: the writer stores one part while
            // the blocking pool checks the next.
            try prepared.rows.forEach { row in
                guard let cells = row.cells else { return reject(row.number, row.errors) }
                // The leads the row matches, by id and by key.
                var matched: [Int64] = []
                if request.mode != .create {
                    if prepared.matching.byID, cells.leadID != 0, let lead = try LeadStore.lead(db, id: cells.leadID), lead.mergedIntoID == 0 {
                        matched.append(lead.id)
                    }
                    for id in try LeadStore.matches(db, keys: row.keys) where !matched.contains(id) { matched.append(id) }
                    if matched.count > 1 {
                        let names = try matched.prefix(3).map { try Self.duplicateOwner(db, $0, caller) }
                        return reject(row.number, [.init(row: row.number, column: "", message: "matches more than one lead (\(names.joined(separator: ", "))): make the match fields tell them apart")])
                    }
                    if let id = matched.first {
                        return try update(id, row: row, cells: cells)
                    }
                    if request.mode == .update {
                        if request.dryRun, row.keys.contains(where: { seen[$0] != nil }) {
                            return record(row.number, .updated)  // the lead an earlier row would create
                        }
                        let by = (prepared.matching.byID ? ["id"] : []) + prepared.matching.fields.map(\.name)
                        return reject(row.number, [.init(row: row.number, column: "", message: "matches no lead by \(by.joined(separator: ", "))")])
                    }
                }
                guard let new = row.lead else { return reject(row.number, row.errors) }
                let lead = new.record
                if lead.ownerID != caller.userID && !knownUsers.contains(lead.ownerID) {
                    return reject(row.number, [.init(row: row.number, column: plan.header(of: "owner_id"), message: "names no user (\(lead.ownerID))")])
                }
                if request.mode == .upsert && request.dryRun, row.keys.contains(where: { seen[$0] != nil }) {
                    return record(row.number, .updated)  // would update the lead an earlier row creates
                }
                if request.mode == .create && !request.allowDuplicates {
                    if let key = row.keys.first(where: { seen[$0] != nil }) {
                        return reject(row.number, [.init(row: row.number, column: column(of: key),
                                                         message: "has the same \(Self.label(key)) as row \(seen[key]!) (\(key.value))")], duplicate: true)
                    }
                }
                // A new lead is checked against the duplicate rule in every mode: an upsert that
                // matches by other fields (an id) must not create a duplicate by these.
                if !request.allowDuplicates, let match = try LeadStore.firstDuplicate(db, keys: request.mode == .create ? row.keys : rule.keys(of: lead)) {
                    return reject(row.number, [.init(row: row.number, column: column(of: match.key),
                                                     message: "has the same \(Self.label(match.key)) as \(try Self.duplicateOwner(db, match.leadID, caller)) (\(match.key.value))")], duplicate: true)
                }
                for key in row.keys where seen[key] == nil { seen[key] = row.number }
                response.created += 1
                if request.dryRun { return record(row.number, .created) }
                let saved = try LeadStore.insert(db, new, rule: rule, action: "imported", actorID: caller.userID, reason: reason + String(row.number))
                _ = try applyRules(db, saved, rules: current.rules, now: now)
                response.createdIds.append(saved.id)
                record(row.number, .created, saved.id)
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

extension LeadsV1.ImportLeadsResponse: ReplayableAnswer {
    public mutating func markReplayed() { replayed = true }
}
