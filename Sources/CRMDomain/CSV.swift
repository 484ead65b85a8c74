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
        let data = Array(bytes)
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var reader = RecordReader(data, from: start, separator: separator ?? detectSeparator(Array(data[start...])), strict: true)
        var records: [(Int, [String])] = []
        var number = 0
        while true {
            var fields: [String] = []
            let hasContent: Bool?
            do {
                hasContent = try reader.next(fields: &fields, keepFields: true)
            } catch {
                throw ParseError(record: number, message: error.message)
            }
            guard let hasContent else { break }
            // A blank line is skipped, but counted: numbers match a spreadsheet's rows.
            if hasContent || fields.count > 1 || !(fields.first ?? "").isEmpty { records.append((number, fields)) }
            number += 1
        }
        return records
    }

    /// A comma, unless the header line (the first that is not blank) has semicolons and no commas.
    static func detectSeparator(_ data: [UInt8]) -> UInt8 {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let firstLine = data.drop { $0 == lf || $0 == cr }.prefix { $0 != lf && $0 != cr }  // a bare CR ends a record too
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
