extension CSV {
    /// The one tokenizer of CSV text: both `parse` and `chunks` read records through it, so
    /// they always agree on where a record ends (and so on row numbers). A `"` opens a quoted
    /// section only at the start of a field; anywhere else it is an ordinary character.
    struct RecordReader {
        let data: [UInt8]
        let separator: UInt8
        /// Throw on malformed quoting (parsing); when false, read on in the same way the
        /// strict reader would have stopped (splitting), so boundaries stay the same.
        let strict: Bool
        private(set) var index: Int

        init(_ data: [UInt8], from start: Int, separator: UInt8, strict: Bool) {
            self.data = data
            self.separator = separator
            self.strict = strict
            self.index = start
        }

        /// Why a record could not be read (the caller knows its number).
        struct Malformed: Error {
            var message: String
        }

        /// Reads the next record. With `fields`, its fields are appended there. Returns whether
        /// the line had content (a separator or a quote counts), or nil at the end of the data.
        mutating func next(fields: inout [String], keepFields: Bool) throws(Malformed) -> Bool? {
            guard index < data.count else { return nil }
            let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
            var field: [UInt8] = []
            var fieldStarted = false
            var hasContent = false
            func endField() {
                if keepFields { fields.append(String(decoding: field, as: UTF8.self)) }
                field.removeAll(keepingCapacity: true)
                fieldStarted = false
            }
            while index < data.count {
                let c = data[index]
                if c == quote && !fieldStarted {
                    // A quoted section: up to the closing quote; "" is a quote.
                    hasContent = true
                    fieldStarted = true
                    index += 1
                    var closed = false
                    while index < data.count {
                        if data[index] == quote {
                            if index + 1 < data.count && data[index + 1] == quote {
                                if keepFields { field.append(quote) }
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if keepFields { field.append(data[index]) }
                        index += 1
                    }
                    if !closed && strict { throw Malformed(message: "a quoted field is not closed") }
                    if closed && strict && index < data.count && data[index] != separator && data[index] != cr && data[index] != lf {
                        throw Malformed(message: "a closing quote must end its field")
                    }
                    continue
                }
                if c == separator {
                    hasContent = true
                    endField()
                } else if c == cr || c == lf {
                    if c == cr && index + 1 < data.count && data[index + 1] == lf { index += 1 }
                    index += 1
                    endField()
                    return hasContent
                } else {
                    fieldStarted = true
                    if keepFields { field.append(c) }
                }
                index += 1
            }
            endField()
            return hasContent
        }
    }
}
