@testable import CRMDomain
import Testing

/// A small seeded generator, so a failing input can be found again.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

@Suite("CSV: splitting into chunks and parsing agree", .timeLimit(.minutes(3)))
struct CSVPropertyTests {
    /// The records of `data` read whole, or the record number where reading stops.
    static func whole(_ data: [UInt8]) -> Result<[(Int, [String])], CSV.ParseError> {
        do { return .success(try CSV.parse(data).map { ($0.number, $0.fields) }) } catch { return .failure(error) }
    }

    /// The same read chunk by chunk, as an import sends it: the header, then each chunk with the
    /// header in front, its numbers moved to the file's.
    static func chunked(_ data: [UInt8], maxBytes: Int) -> Result<[(Int, [String])], CSV.ParseError> {
        let (header, chunks) = CSV.chunks(data, maxBytes: maxBytes)
        var records: [(Int, [String])] = []
        do {
            records += try CSV.parse(Array(header)).map { ($0.number, $0.fields) }
        } catch {
            return .failure(error)
        }
        for chunk in chunks {
            do {
                records += try CSV.parse(Array(header) + Array(chunk.bytes)).filter { $0.number > 0 }.map { ($0.number - 1 + chunk.firstRecord, $0.fields) }
            } catch {
                return .failure(CSV.ParseError(record: error.record - 1 + chunk.firstRecord, message: error.message))
            }
        }
        return .success(records)
    }

    @Test("on 3,000 generated files of quotes, separators, line breaks and text, chunk by chunk gives the same records and errors as the whole file")
    func agree() {
        var random = XorShift(state: 0x9E37_79B9_7F4A_7C15)
        let alphabet: [[UInt8]] = ["a", "b", ",", ";", "\"", "\"\"", "\n", "\r\n", "\r", " ", "é", "x\"y"].map { Array($0.utf8) }
        for round in 0..<3_000 {
            var data: [UInt8] = Array("name,email\n".utf8)
            if round % 7 == 0 { data = Array("name;email\n".utf8) }
            for _ in 0..<Int.random(in: 0...60, using: &random) { data += alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            let maxBytes = Int.random(in: 1...40, using: &random)
            let whole = Self.whole(data), chunked = Self.chunked(data, maxBytes: maxBytes)
            switch (whole, chunked) {
            case (.success(let a), .success(let b)):
                #expect(a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1), "round \(round): \(String(decoding: data, as: UTF8.self).debugDescription) maxBytes \(maxBytes)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "round \(round): \(String(decoding: data, as: UTF8.self).debugDescription): \(a) vs \(b)")
            default:
                Issue.record("round \(round): \(String(decoding: data, as: UTF8.self).debugDescription) maxBytes \(maxBytes): whole \(whole) vs chunked \(chunked)")
            }
        }
    }

    @Test("a stray quote inside an unquoted field is an ordinary character to both")
    func strayQuote() throws {
        let data = Array("name,note\nAna,5\" screen\nBea,ok\nCarla,\"quoted, with comma\"\n".utf8)
        let records = try CSV.parse(data)
        #expect(records.map(\.fields) == [["name", "note"], ["Ana", "5\" screen"], ["Bea", "ok"], ["Carla", "quoted, with comma"]])
        let (_, chunks) = CSV.chunks(data, maxBytes: 12)
        #expect(chunks.map(\.firstRecord) == [1, 2, 3])
    }
}
