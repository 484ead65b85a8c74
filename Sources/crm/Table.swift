import CRMDomain
import Foundation

/// Rows for people: columns aligned to their widest cell, the header underlined; on a terminal,
/// the header bold and life-cycle states in colour. The same rows print as CSV for scripts.
struct Table {
    var header: [String]
    var rows: [[String]] = []
    /// False for a record's field/value lines, which read better without a header (CSV keeps it).
    var showsHeader = true

    /// Aligned text, coloured when `colour` is true.
    func text(colour: Bool = false) -> String {
        var widths = showsHeader ? header.map(\.count) : header.map { _ in 0 }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        let stateColumn = header.firstIndex(of: "state")
        func line(_ cells: [String], style: (Int, String) -> Terminal.Style?) -> String {
            var out = ""
            for (i, (cell, width)) in zip(cells, widths).enumerated() {
                if i > 0 { out += "  " }
                let padded = i == widths.count - 1 ? cell : cell + String(repeating: " ", count: width - cell.count)
                out += colour ? Terminal.paint(padded, style(i, cell)) : padded
            }
            return out.trimmingTrailingSpaces
        }
        var lines = showsHeader ? [line(header) { _, _ in .bold }, line(widths.map { String(repeating: "-", count: $0) }) { _, _ in .dim }] : []
        lines += rows.map { row in line(row) { i, cell in i == stateColumn ? Terminal.Style(state: cell) : !showsHeader && i == 0 ? .bold : nil } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV: the header, then the rows.
    var csv: String {
        ([header] + rows).map(CSV.record).joined()
    }
}

/// What a terminal can show.
enum Terminal {
    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", cyan = "36"

        /// The colour of a life-cycle state's name.
        init?(state: String) {
            switch state {
            case "won": self = .green
            case "lost": self = .red
            case "cancelled": self = .dim
            case "in_progress": self = .yellow
            case "pending": self = .cyan
            default: return nil
            }
        }
    }

    static func paint(_ text: String, _ style: Style?) -> String {
        guard let style, !text.isEmpty else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// Colour only on a terminal, and never when NO_COLOR is set or TERM is "dumb".
    static func wantsColour(_ fd: Int32) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(fd) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Unix milliseconds as people read them ("" for none).
func showTime(_ millis: Int64) -> String {
    guard millis != 0 else { return "" }
    // Local time (TZ), with the zone, so a time read in a table is never taken for another zone's.
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone.current
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}
