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
                Headers match lead fields by name ("full_name", "Email", "phone", "type", "owner"…); --map gives \
                the field of a column whose header does not name it (the other columns still match by name). Valid rows are created and each bad row is listed with its row number and column. Running \
                the same file with the same options again creates nothing new: each part is sent with an idempotency \
                key made from the file's contents and the options (or --key). Exit code 1 when some rows failed.
                """)

        @Argument(help: "The CSV file (UTF-8; commas or semicolons).") var file: String
        @Option(name: .customLong("map"), help: ArgumentHelp("A column's field, COLUMN=FIELD (repeat; FIELD empty skips the column).", valueName: "column=field")) var mappings: [String] = []
        @Flag(help: "Check every row and report, creating nothing.") var dryRun = false
        @Flag(help: "Create rows whose e-mail or phone matches an existing lead.") var allowDuplicates = false
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
                let (header, chunks) = CSV.chunks(bytes, maxBytes: Self.chunkBytes, maxRecords: Self.chunkRows)
                // The key covers everything that changes the outcome: the file and every option.
                var fingerprint = ContentDigest()
                fingerprint.add(bytes)
                for m in mapping { fingerprint.add(Array("\u{0}map\u{0}\(m.column)\u{0}\(m.field)".utf8)) }
                fingerprint.add(Array("\u{0}duplicates:\(allowDuplicates)\u{0}dry-run:\(dryRun)".utf8))
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
                                                                 mapping: mapping, allowDuplicates: allowDuplicates, dryRun: dryRun, fileName: name)
                        let part = try await client.importLeads(request, options: options.with(idempotencyKey: "import-\(base)-\(index)"))
                        total.rowsRead += part.rowsRead
                        total.created += part.created
                        total.failed += part.failed
                        total.duplicates += part.duplicates
                        total.errors += part.errors
                        total.createdIds += part.createdIds
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
                        let verb = dryRun ? "would create" : "created"
                        print("Read \(total.rowsRead) rows of \(name): \(verb) \(total.created), \(total.failed) failed (\(total.duplicates) duplicates).")
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
                let leadFilter = try filter.filter
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
                    print("Exported \(rows) leads to \(output).")
                }
            }
        }
    }
}
