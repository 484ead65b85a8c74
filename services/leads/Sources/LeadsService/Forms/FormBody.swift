import Foundation

/// The fields of a form submission's body: `application/x-www-form-urlencoded` or
/// `multipart/form-data`, as browsers send them. Files are not taken; every value must be UTF-8.
enum FormBody {
    enum Failure: Error, Equatable {
        /// Neither of the two types (the answer is 415).
        case unsupportedType
        /// Not what its type says: bad percent-encoding, a broken multipart body, not UTF-8.
        case malformed(String)
        /// A part is a file.
        case file(field: String)
        /// More fields than any form has.
        case tooManyFields
    }

    static let maxFields = 100

    static func fields(contentType: String, body: [UInt8]) throws(Failure) -> [String: String] {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/x-www-form-urlencoded": return try urlEncoded(body)
        case "multipart/form-data":
            guard let boundary = parameter("boundary", of: contentType), !boundary.isEmpty, boundary.utf8.count <= 200 else {
                throw .malformed("multipart/form-data without a boundary")
            }
            return try multipart(body, boundary: boundary)
        default: throw .unsupportedType
        }
    }

    /// `a=1&b=x+y%21`: '+' is a space, %XX a byte; a name given twice keeps its first value.
    static func urlEncoded(_ body: [UInt8]) throws(Failure) -> [String: String] {
        var out: [String: String] = [:]
        var count = 0
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            count += 1
            if count > maxFields { throw .tooManyFields }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0]), value = parts.count > 1 ? try decode(parts[1]) : ""
            if out[name] == nil { out[name] = value }
        }
        return out
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) throws(Failure) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else {
                    throw .malformed("a bad percent escape")
                }
                out.append(high << 4 | low)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .malformed("a value that is not UTF-8") }
        return text
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Parts separated by `--boundary` lines, each with its headers, a blank line and its value.
    static func multipart(_ body: [UInt8], boundary: String) throws(Failure) -> [String: String] {
        let delimiter = Array("--\(boundary)".utf8)
        var out: [String: String] = [:]
        var positions: [Int] = []
        var i = 0
        // Every delimiter at the start of the body or of a line.
        while let found = find(delimiter, in: body, from: i) {
            if found == 0 || (found >= 2 && body[found - 2] == 0x0D && body[found - 1] == 0x0A) { positions.append(found) }
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { throw .malformed("a multipart body without its parts") }
        guard positions.count - 1 <= maxFields else { throw .tooManyFields }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // The delimiter's line ends with CRLF; the part ends before the CRLF ahead of the next one.
            guard partStart + 2 <= body.count, body[partStart] == 0x0D, body[partStart + 1] == 0x0A else { throw .malformed("a broken part delimiter") }
            partStart += 2
            let partEnd = end - 2
            guard partStart <= partEnd else { throw .malformed("an empty part") }
            let part = body[partStart..<partEnd]
            guard let blank = find([0x0D, 0x0A, 0x0D, 0x0A], in: Array(part), from: 0) else { throw .malformed("a part without headers") }
            guard let headers = String(validating: part.prefix(blank), as: UTF8.self) else { throw .malformed("part headers that are not UTF-8") }
            var name: String?
            for line in headers.split(separator: "\r\n") {
                let lower = line.lowercased()
                guard lower.hasPrefix("content-disposition:") else { continue }
                if let field = parameter("filename", of: String(line)) { throw .file(field: parameter("name", of: String(line)) ?? field) }
                name = parameter("name", of: String(line))
            }
            guard let name else { throw .malformed("a part without a name") }
            guard let value = String(validating: part.dropFirst(blank + 4), as: UTF8.self) else { throw .malformed("a value that is not UTF-8") }
            if out[name] == nil { out[name] = value }
        }
        return out
    }

    /// `name=value` or `name="value"` among a header's `;`-separated parameters.
    static func parameter(_ name: String, of header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let first = needle[0]
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
