import ArgumentParser
import CRMWire
import Foundation

/// How answers are printed: a table for people, JSON or CSV for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the answer as JSON: the message's fields by their .proto names, as `crm call` prints them.")
    var json = false

    @Flag(help: "Print the table as CSV.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    /// Prints the answer: `message` as JSON, or `table` as CSV or as a table.
    func print<M: WireMessage>(_ message: M, _ table: @autoclosure () -> Table) throws {
        if json {
            try printJSON(message)
        } else {
            printTable(table())
        }
    }

    /// Prints `table` as CSV or as aligned text.
    func printTable(_ table: Table) {
        if csv {
            Swift.print(table.csv, terminator: "")
        } else {
            Swift.print(table.text(colour: Terminal.wantsColour(STDOUT_FILENO)), terminator: "")
        }
    }

    func printJSON<M: WireMessage>(_ message: M) throws {
        Swift.print(try ProtoJSON.json(message).text())
    }
}

/// Two-column rows for one record ("name  Ana Pérez").
func details(_ pairs: [(String, String)]) -> Table {
    Table(header: ["field", "value"], rows: pairs.filter { !$0.1.isEmpty }.map { [$0.0, $0.1] }, showsHeader: false)
}

/// A progress line on standard error, rewritten in place, only when it is a terminal.
struct Progress {
    let label: String
    let enabled = isatty(STDERR_FILENO) == 1

    func update(_ done: Int, of total: Int?, _ unit: String) {
        guard enabled else { return }
        var text = "\r\(label): \(done)"
        if let total, total > 0 { text += " of \(total) \(unit) (\(done * 100 / total)%)" } else { text += " \(unit)" }
        FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
