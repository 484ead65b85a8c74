import LeadsDomain
import CRMWire
import Foundation

/// JSON text for the list columns of the store. Lists of strings and integers are by far the
/// most common, and on an import of a million rows Foundation's coders cost more than SQLite:
/// these two are written and read by hand; anything else goes through Codable.
enum JSONText {
    static func strings(_ values: [String]) -> String {
        guard !values.isEmpty else { return "[]" }
        var out = "["
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            JSONValue.appendQuoted(value, to: &out)
        }
        out += "]"
        return out
    }

    static func integers(_ values: [Int64]) -> String {
        guard !values.isEmpty else { return "[]" }
        return "[" + values.map(String.init).joined(separator: ",") + "]"
    }

    /// Custom fields as Codable writes them (`{"cups":{"text":{"_0":"ES00…"}}}`, the shape the
    /// list filters' JSON paths read), keys sorted; by hand, as an import writes one per row.
    static func customFields(_ fields: [String: LeadRecord.CustomValue]) -> String {
        guard !fields.isEmpty else { return "{}" }
        var out = "{"
        for (i, key) in fields.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONValue.appendQuoted(key, to: &out)
            switch fields[key]! {
            case .text(let text):
                out += ":{\"text\":{\"_0\":"
                JSONValue.appendQuoted(text, to: &out)
            case .decimal(let text):
                out += ":{\"decimal\":{\"_0\":"
                JSONValue.appendQuoted(text, to: &out)
            case .integer(let n): out += ":{\"integer\":{\"_0\":\(n)"
            case .date(let n): out += ":{\"date\":{\"_0\":\(n)"
            case .boolean(let b): out += ":{\"boolean\":{\"_0\":\(b)"
            }
            out += "}}"
        }
        out += "}"
        return out
    }

    static func encode<T: Encodable>(_ value: T, empty: String) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(empty.utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String, _ fallback: T) -> T {
        guard text.utf8.count > 2 else { return fallback }
        return (try? JSONDecoder().decode(T.self, from: Data(text.utf8))) ?? fallback
    }

    /// The strings of a JSON array of strings; [] for anything else.
    static func decodeStrings(_ text: String) -> [String] {
        guard text.utf8.count > 2 else { return [] }
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { bytes -> [String]? in
            var i = 0
            func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
            i += 1
            var out: [String] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { return out }
            while i < bytes.count {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
                i += 1
                let start = i
                var plain = true
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { plain = false; i += 1 }
                    i += 1
                }
                guard i < bytes.count else { return nil }
                if plain {
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                } else {
                    // Escapes are rare (quotes, backslashes, control characters): let Foundation do them.
                    let literal = "\"" + String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self) + "\""
                    guard let value = try? JSONDecoder().decode(String.self, from: Data(literal.utf8)) else { return nil }
                    out.append(value)
                }
                i += 1
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: "]") { return out }
                guard bytes[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
            return nil
        } ?? []
    }

    /// The integers of a JSON array of integers; [] for anything else.
    static func decodeIntegers(_ text: String) -> [Int64] {
        guard text.utf8.count > 2, text.hasPrefix("["), text.hasSuffix("]") else { return [] }
        var out: [Int64] = []
        for part in text.dropFirst().dropLast().split(separator: ",") {
            guard let value = Int64(part.trimmingCharacters(in: .whitespaces)) else { return [] }
            out.append(value)
        }
        return out
    }
}
