extension CSV {
    /// A run of whole records of a file, to send on its own with the header in front.
    public struct Chunk: Sendable, Hashable {
        /// The record number of the chunk's first record, counted from the header (0).
        public var firstRecord: Int
        /// The records' bytes, each ended by its line break.
        public var bytes: ArraySlice<UInt8>
    }

    /// Splits a file into its header record and chunks of whole records of at most `maxBytes`
    /// and `maxRecords` each (a single larger record makes a chunk of its own; blank lines count
    /// as records, as the parser numbers them). Line breaks inside quoted fields
    /// do not end records; record numbers count blank lines, as `parse` does, so that each
    /// chunk's numbers match the file's.
    public static func chunks(_ data: [UInt8], maxBytes: Int, maxRecords: Int = .max) -> (header: ArraySlice<UInt8>, chunks: [Chunk]) {
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var ends: [Int] = []  // the index after each record's line break
        // The parser's own tokenizer, reading on past malformed quoting as the parser would
        // stop at it, so chunk boundaries and row numbers are the parser's.
        var reader = RecordReader(data, from: start, separator: detectSeparator(Array(data[start...])), strict: false)
        // The header is the first record that is not blank, as `parse` reads it: blank lines
        // before it are skipped (a file that starts with one must not send it as the header).
        var headerStart = start
        var fields: [String] = []
        while let hasContent = try? reader.next(fields: &fields, keepFields: true) {
            if hasContent || fields.count > 1 || !(fields.first ?? "").isEmpty {
                ends.append(reader.index)
                break
            }
            headerStart = reader.index
            fields.removeAll(keepingCapacity: true)
        }
        var unused: [String] = []
        while (try? reader.next(fields: &unused, keepFields: false)) != nil { ends.append(reader.index) }
        if ends.last ?? headerStart < data.count { ends.append(data.count) }
        guard let headerEnd = ends.first else { return (data[headerStart...], []) }

        var chunks: [Chunk] = []
        var chunkStart = headerEnd
        var firstRecord = 1
        for (index, end) in ends.enumerated().dropFirst() {
            let previousEnd = ends[index - 1]
            if (end - chunkStart > maxBytes || index - firstRecord >= maxRecords) && previousEnd > chunkStart {
                chunks.append(Chunk(firstRecord: firstRecord, bytes: data[chunkStart..<previousEnd]))
                chunkStart = previousEnd
                firstRecord = index
            }
        }
        if chunkStart < data.count { chunks.append(Chunk(firstRecord: firstRecord, bytes: data[chunkStart...])) }
        let header = data[headerStart..<headerEnd]
        // A byte-order mark the file does not start with (after blank lines, or a second one) is
        // text in the header's first field; sent first in a chunk it would be read as a mark and
        // dropped, so it goes behind a mark.
        if header.starts(with: [0xEF, 0xBB, 0xBF]) { return (ArraySlice([0xEF, 0xBB, 0xBF] + header), chunks) }
        return (header, chunks)
    }
}
