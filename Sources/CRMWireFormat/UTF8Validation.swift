/// The outcome of checking a protobuf string's bytes.
public enum UTF8Check: Sendable, Equatable {
    case valid
    /// Not well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
    case invalid(offset: Int)
    /// Contains U+0000, which protobuf-c's NUL-terminated strings cannot carry.
    case containsNUL(offset: Int)
}

extension UTF8Check {
    /// Checks `bytes` in one pass, with a fast path for ASCII.
    public static func check(_ bytes: UnsafeRawBufferPointer) -> UTF8Check {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                if b0 == 0 { return .containsNUL(offset: i) }
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F  // no surrogates
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F  // nothing past U+10FFFF
            default: return .invalid(offset: i)
            }
            guard n - i >= length else { return .invalid(offset: i) }
            let b1 = bytes[i + 1]
            guard b1 >= lower && b1 <= upper else { return .invalid(offset: i) }
            var k = 2
            while k < length {
                guard bytes[i + k] & 0xC0 == 0x80 else { return .invalid(offset: i) }
                k += 1
            }
            i += length
        }
        return .valid
    }
}
