import CRMDomain
import Testing

@Suite("CSV", .timeLimit(.minutes(3)))
struct CSVTests {
    @Test("quoted fields hold separators, quotes and line breaks; blank lines are skipped but counted")
    func parse() throws {
        let text = "\u{FEFF}name,notes\r\n\"Pérez, Ana\",\"said \"\"hi\"\"\nthen left\"\r\n\nBea,\n"
        let records = try CSV.parse(Array(text.utf8))
        #expect(records.map(\.number) == [0, 1, 3])
        #expect(records[0].fields == ["name", "notes"])
        #expect(records[1].fields == ["Pérez, Ana", "said \"hi\"\nthen left"])
        #expect(records[2].fields == ["Bea", ""])
    }

    @Test("semicolon files are recognised by their header")
    func semicolons() throws {
        #expect(try CSV.parse(Array("a;b\n1;2,5\n".utf8)).map(\.fields) == [["a", "b"], ["1", "2,5"]])
    }

    @Test("an unclosed quote or text after a closing quote is an error naming the row")
    func errors() {
        #expect(throws: CSV.ParseError(record: 1, message: "a quoted field is not closed")) { try CSV.parse(Array("a\n\"open".utf8)) }
        #expect(throws: CSV.ParseError(record: 2, message: "a closing quote must end its field")) { try CSV.parse(Array("a\nb\n\"x\"y\n".utf8)) }
    }

    @Test("records written are read back the same")
    func roundTrip() throws {
        let fields = ["plain", "with, comma", "with \"quote\"", "two\nlines", "", "semi;colon"]
        let text = CSV.record(["h1", "h2", "h3", "h4", "h5", "h6"]) + CSV.record(fields)
        #expect(try CSV.parse(Array(text.utf8)).last?.fields == fields)
    }
}

@Suite("Timestamps", .timeLimit(.minutes(3)))
struct TimestampTests {
    @Test("dates, times with zones and plain milliseconds parse; nonsense does not")
    func parse() {
        #expect(Timestamp.parse("1970-01-01") == 0)
        #expect(Timestamp.parse("2026-11-23") == 1_795_392_000_000)
        let halfPastNine: Int64 = 1_795_426_200_000
        #expect(Timestamp.parse("2026-11-23T09:30:00Z") == halfPastNine)
        #expect(Timestamp.parse("2026-11-23T10:30+01:00") == halfPastNine)
        #expect(Timestamp.parse("2024-02-29 12:00:00.5Z") == Timestamp.parse("2024-02-29T12:00:00.500Z"))
        #expect(Timestamp.parse("1795392000000") == 1_795_392_000_000)
        for bad in ["", "2026-13-01", "2025-02-29", "2026-11-23T25:00Z", "tomorrow", "2026-11-23T10:00", "2026-11-23Zx"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("formatting is the inverse of parsing, before 1970 too")
    func format() {
        for millis: Int64 in [0, 1_795_392_000_000, 1_795_426_200_123, -86_400_001, 951_782_400_000] {
            #expect(Timestamp.parse(Timestamp.format(millis)) == millis)
        }
        #expect(Timestamp.format(1_795_426_200_000) == "2026-11-23T09:30:00Z")
        #expect(Timestamp.formatDate(1_795_426_200_000) == "2026-11-23")
    }
}

@Suite("CSV files split into chunks for import", .timeLimit(.minutes(3)))
struct CSVChunkTests {
    @Test("chunks hold whole records, quoted line breaks included, and number them as the whole file does")
    func chunksMatchTheFile() throws {
        let file = Array("\u{FEFF}name,note\r\nAna,\"two\nlines\"\r\n\r\nLuis,plain\nEva,\"a \"\"quote\"\"\"\nOla,last".utf8)
        let whole = try CSV.parse(file)
        for maxBytes in [1, 10, 25, 1_000] {
            let (header, chunks) = CSV.chunks(file, maxBytes: maxBytes)
            #expect(String(decoding: header, as: UTF8.self) == "name,note\r\n")
            var records: [(number: Int, fields: [String])] = []
            for chunk in chunks {
                let parsed = try CSV.parse(Array(header) + Array(chunk.bytes))
                records += parsed.dropFirst().map { ($0.number - 1 + chunk.firstRecord, $0.fields) }
            }
            #expect(records.map(\.number) == whole.dropFirst().map(\.number), "maxBytes \(maxBytes)")
            #expect(records.map(\.fields) == whole.dropFirst().map(\.fields), "maxBytes \(maxBytes)")
            #expect(chunks.map(\.bytes.count).reduce(0, +) + header.count + 3 == file.count)
        }
        #expect(CSV.chunks(file, maxBytes: 1_000).chunks.count == 1)
        #expect(CSV.chunks(file, maxBytes: 1).chunks.map(\.firstRecord) == [1, 2, 3, 4, 5])  // one record each
        // By records as well as bytes: two records a chunk (the blank line counts as one).
        #expect(CSV.chunks(file, maxBytes: 1_000, maxRecords: 2).chunks.map(\.firstRecord) == [1, 3, 5])
    }

    @Test("blank lines before the header are skipped, as the parser skips them: the header is the first record with content (a fuzzer's find)")
    func blankLinesBeforeHeader() throws {
        let file = Array("\r\n\nname,email\nAna,a@x.es\nLuis,l@x.es\n".utf8)
        let (header, chunks) = CSV.chunks(file, maxBytes: 1_000, maxRecords: 1)
        #expect(String(decoding: header, as: UTF8.self) == "name,email\n")
        #expect(try chunks.map { try CSV.parse(Array(header) + Array($0.bytes)).dropFirst().map(\.fields) } == [[["Ana", "a@x.es"]], [["Luis", "l@x.es"]]])
        #expect(chunks.map(\.firstRecord) == [1, 2])
    }

    @Test("a file of only a header has no chunks")
    func headerOnly() {
        #expect(CSV.chunks(Array("a,b\n".utf8), maxBytes: 100).chunks.isEmpty)
        #expect(CSV.chunks(Array("a,b".utf8), maxBytes: 100).header == ArraySlice("a,b".utf8))
        #expect(CSV.chunks([], maxBytes: 100).chunks.isEmpty)
    }
}

@Suite("country codes")
struct CountryCodeTests {
    @Test("the 249 assigned ISO 3166-1 alpha-2 codes, and not user-assigned or made-up ones")
    func assigned() {
        #expect(CountryCode.assigned.count == 249)
        #expect(CountryCode.isAssigned("ES") && CountryCode.isAssigned("GB") && CountryCode.isAssigned("SS"))
        #expect(!CountryCode.isAssigned("XX") && !CountryCode.isAssigned("UK") && !CountryCode.isAssigned("EU") && !CountryCode.isAssigned("es"))
    }
}
