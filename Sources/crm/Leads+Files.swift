import ArgumentParser
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation

extension Leads {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import leads from a CSV file with a header row.",
            discussion: """
                Headers match lead fields by name ("full_name", "Email", "phone", "type", "status", "owner", a custom \
                field's key…); --map gives the field of a column whose header does not name it (the other columns still \
                match by name). A file `crm leads export` wrote imports as it is. Valid rows are created and each bad row \
                is listed with its row number and column.

                --mode update changes the leads the rows match instead (only the cells a row fills), and --mode upsert \
                updates the matched leads and creates the rest. Rows match by --match-on: id (an export's id column), \
                emails, phones, or another duplicate field of the configuration (`crm config duplicates`), such as a \
                custom field holding an id from another system; a row matching two leads fails naming both.

                Running the same file with the same options again changes nothing: each part is sent with an idempotency \
                key made from the file's contents and the options (or --key). Exit code 1 when some rows failed.
                """)

        @Argument(help: "The CSV file (UTF-8; commas or semicolons).") var file: String
        @Option(name: .customLong("map"), help: ArgumentHelp("A column's field, COLUMN=FIELD (repeat; FIELD empty skips the column).", valueName: "column=field")) var mappings: [String] = []
        @Flag(help: "Check every row and report, creating nothing.") var dryRun = false
        @Flag(help: "Create rows that are duplicates of an existing lead (create mode).") var allowDuplicates = false
        @Option(help: ArgumentHelp("create (the default), update or upsert.", valueName: "mode")) var mode = "create"
        @Option(help: ArgumentHelp("The fields rows match leads by, comma-separated: id, emails, phones, company_name, a custom field (default: the duplicate fields).", valueName: "fields")) var matchOn = ""
        @Option(help: ArgumentHelp("The idempotency key's base (default: a digest of the file and the options).", valueName: "key")) var key: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        /// Each call carries less than the service's limits of 3 MiB and 5,000 rows.
        static let chunkBytes = 2 * 1024 * 1024
        static let chunkRows = 5_000

        func run() async throws {
            try await reporting {
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure(.usage, "cannot read \(file)") }
                let bytes = [UInt8](data)
                let mapping = try mappings.map { pair in
                    guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw CLIFailure(.usage, "--map must be COLUMN=FIELD (got \"\(pair)\")") }
                    return LeadsV1.ColumnMapping(column: String(pair[..<eq]), field: String(pair[pair.index(after: eq)...]))
                }
                let importMode = try LeadsV1.ImportMode(cliName: mode, option: "--mode")
                let matchFields = LeadFilterOptions.list(matchOn)
                if importMode == .create && !matchFields.isEmpty { throw CLIFailure(.usage, "--match-on is for --mode update or upsert") }
                if importMode != .create && allowDuplicates { throw CLIFailure(.usage, "--allow-duplicates is for --mode create") }
                let (header, chunks) = CSV.chunks(bytes, maxBytes: Self.chunkBytes, maxRecords: Self.chunkRows)
                // The key covers everything that changes the outcome: the file and every option.
                var fingerprint = ContentDigest()
                fingerprint.add(bytes)
                for m in mapping { fingerprint.add(Array("\u{0}map\u{0}\(m.column)\u{0}\(m.field)".utf8)) }
                fingerprint.add(Array("\u{0}duplicates:\(allowDuplicates)\u{0}dry-run:\(dryRun)\u{0}mode:\(importMode.cliName)".utf8))
                for field in matchFields { fingerprint.add(Array("\u{0}match\u{0}\(field)".utf8)) }
                let base = key ?? fingerprint.hex
                let options = try connection.signedIn()
                let name = URL(fileURLWithPath: file).lastPathComponent
                let total = try await connection.withLeads { rpc in
                    let client = LeadsV1.Leads.Client(rpc)
                    let progress = Progress(label: "Importing \(name)")
                    var total = LeadsV1.ImportLeadsResponse()
                    for (index, chunk) in chunks.enumerated() {
                        progress.update(chunk.firstRecord - 1, of: nil, "rows sent")
                        let request = LeadsV1.ImportLeadsRequest(csv: Array(header) + Array(chunk.bytes), firstRowNumber: Int32(chunk.firstRecord),
                                                                 mapping: mapping, allowDuplicates: allowDuplicates, dryRun: dryRun, fileName: name,
                                                                 mode: importMode, matchOn: matchFields)
                        let part = try await client.importLeads(request, options: options.with(idempotencyKey: "import-\(base)-\(index)"))
                        total.add(part, first: index == 0)
                    }
                    progress.finish()
                    return total
                }
                if output.json {
                    try output.printJSON(total)
                } else {
                    if !total.errors.isEmpty {
                        output.printTable(Table(header: ["row", "column", "problem"], rows: total.errors.map { [String($0.row), $0.column, $0.message] }))
                    }
                    if !output.csv {
                        if total.unlistedErrors > 0 { print("… and \(total.unlistedErrors) more errors not listed (each part lists its first 1,000; --json has them all per part).") }
                        print(total.summary(of: name, dryRun: dryRun, updating: importMode != .create))
                    }
                }
                if total.failed > 0 { throw ExitCode(CLIFailure.Kind.failed.rawValue) }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the leads a filter finds as CSV (the file imports back as it is).")

        @OptionGroup var filter: LeadFilterOptions
        @Option(help: ArgumentHelp("Sort by these fields, descending with a leading -, such as --sort=-created_at.", valueName: "fields")) var sort = ""
        @Option(help: ArgumentHelp("Only these columns, in this order (comma-separated field names).", valueName: "fields")) var columns = ""
        @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let leadFilter = try await filter.filter(connection)
                let options = try connection.signedIn()
                let sink: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil) else { throw CLIFailure(.usage, "cannot write \(output)") }
                    sink = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
                } else {
                    sink = FileHandle.standardOutput
                }
                let rows = try await connection.withLeads { rpc in
                    let client = LeadsV1.Leads.Client(rpc)
                    let count = try await client.listLeads(LeadsV1.ListLeadsRequest(filter: leadFilter, pageSize: 1), options: options).totalCount
                    let progress = Progress(label: "Exporting")
                    var rows = 0
                    let stream = client.exportLeads(LeadsV1.ExportLeadsRequest(filter: leadFilter, sort: sortKeys(sort), columns: LeadFilterOptions.list(columns)),
                                                    options: CallOptions(timeout: nil, metadata: options.metadata))
                    for try await chunk in stream {
                        try sink.write(contentsOf: chunk.data)
                        rows += Int(chunk.rows)
                        progress.update(rows, of: Int(count), "leads")
                    }
                    progress.finish()
                    return rows
                }
                if let output {
                    try sink.close()
                    print("Exported \(rows) \(rows == 1 ? "lead" : "leads") to \(output).")
                }
            }
        }
    }
}

extension LeadsV1.ImportLeadsResponse {
    /// Adds a part's answer to the file's; the file is replayed when every part is.
    mutating func add(_ part: LeadsV1.ImportLeadsResponse, first: Bool) {
        rowsRead += part.rowsRead
        created += part.created
        updated += part.updated
        unchanged += part.unchanged
        failed += part.failed
        duplicates += part.duplicates
        errors += part.errors
        unlistedErrors += part.unlistedErrors
        createdIds += part.createdIds
        rows += part.rows
        replayed = first ? part.replayed : replayed && part.replayed
    }

    /// One line whose counts add up to the rows read, and that says when nothing changed.
    func summary(of name: String, dryRun: Bool, updating: Bool) -> String {
        var counts = ["\(created) \(dryRun ? "to create" : "created")"]
        if updating {
            counts += ["\(updated) \(dryRun ? "to update" : "updated")", "\(unchanged) unchanged"]
        }
        counts.append("\(failed) failed")
        if duplicates > 0 { counts.append("\(duplicates) \(duplicates == 1 ? "duplicate" : "duplicates")") }
        let line = "Read \(rowsRead) \(rowsRead == 1 ? "row" : "rows") of \(name): \(counts.joined(separator: ", "))."
        if replayed {
            return "\(name) was imported before with the same options, so nothing changed this time; that run: \(counts.joined(separator: ", "))."
        }
        if !dryRun && created == 0 && updated == 0 { return line + " Nothing changed." }
        return line
    }
}
