/// CSV as RFC 4180 writes it: fields separated by commas (or semicolons, as spreadsheets in many
/// locales write them), quoted with `"` when they hold a separator, a quote or a line break,
/// records ended by CRLF or LF. Imports and exports of every service go through here.
public enum CSV {
    /// Why a file could not be read.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The record (0 is the header) where reading stopped.
        public var record: Int
        public var message: String
        public var description: String { "row \(record): \(message)" }

        public init(record: Int, message: String) {
            self.record = record
            self.message = message
        }
    }

    /// The records of `bytes`, each with its record number (the header is 0). A UTF-8 byte-order
    /// mark is skipped; blank lines are skipped but counted, so numbers match a spreadsheet's rows.
    public static func parse(_ bytes: some Collection<UInt8>, separator: UInt8? = nil) throws(ParseError) -> [(number: Int, fields: [String])] {
        var data = Array(bytes)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        let separator = separator ?? detectSeparator(data)
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var number = 0
        var i = 0
        var lineHasContent = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            if lineHasContent || fields.count > 1 || !fields[0].isEmpty { records.append((number, fields)) }
            fields = []
            number += 1
            lineHasContent = false
        }
        while i < data.count {
            let c = data[i]
            if c == quote && field.isEmpty {
                // A quoted field: up to the closing quote; "" is a quote.
                lineHasContent = true
                i += 1
                while true {
                    guard i < data.count else { throw ParseError(record: number, message: "a quoted field is not closed") }
                    if data[i] == quote {
                        if i + 1 < data.count && data[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    field.append(data[i])
                    i += 1
                }
                guard i == data.count || data[i] == separator || data[i] == cr || data[i] == lf else {
                    throw ParseError(record: number, message: "a closing quote must end its field")
                }
                continue
            }
            if c == separator {
                lineHasContent = true
                endField()
            } else if c == cr || c == lf {
                if c == cr && i + 1 < data.count && data[i + 1] == lf { i += 1 }
                endRecord()
            } else {
                field.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty || lineHasContent { endRecord() }
        return records
    }

    /// A comma, unless the first line has semicolons and no commas.
    static func detectSeparator(_ data: [UInt8]) -> UInt8 {
        let firstLine = data.prefix { $0 != UInt8(ascii: "\n") }
        let commas = firstLine.filter { $0 == UInt8(ascii: ",") }.count
        let semicolons = firstLine.filter { $0 == UInt8(ascii: ";") }.count
        return semicolons > 0 && commas == 0 ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }

    /// One record, ended by CRLF, with the fields quoted where they must be.
    public static func record(_ fields: [String]) -> String {
        var out = ""
        for (i, field) in fields.enumerated() {
            if i > 0 { out += "," }
            if field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: ";") }) {
                out += "\"" + field.replacingAll("\"", with: "\"\"") + "\""
            } else {
                out += field
            }
        }
        return out + "\r\n"
    }
}

extension String {
    /// `self` with every `target` replaced (Foundation-free, for CRMDomain).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
