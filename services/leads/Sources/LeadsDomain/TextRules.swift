import CRMDomain

/// Checks shared by every free-text field.
public enum TextRules {
    /// Trims the ends and folds runs of white space into one space. Text too long for any field
    /// is left as it is: the length check that follows refuses it, and folding it would walk its
    /// graphemes (a million combining marks are one, and slow to find).
    public static func collapsed(_ text: String) -> String {
        guard text.utf8.count <= 64 * 1024 else { return text }
        // ASCII without runs of spaces (nearly every name and company) is already collapsed;
        // Unicode white space is only looked up for the rest.
        var previousSpace = true
        let clean = text.utf8.allSatisfy { byte in
            guard byte < 0x80, byte != 0x09, byte != 0x0A, byte != 0x0D, byte != 0x0B, byte != 0x0C else { return false }
            defer { previousSpace = byte == 0x20 }
            return !(byte == 0x20 && previousSpace)
        }
        if clean && !previousSpace { return text }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Required-ness, length (in characters, and in scalars and bytes, so that combining marks
    /// cannot carry megabytes: the kit's `TextLimit`), and no control characters other than
    /// line breaks and tabs.
    public static func check(_ text: String, field: String, required: Bool, max: Int, into violations: inout Violations) {
        TextLimit(characters: max, required: required, multiline: true).check(text, field: field, into: &violations)
    }
}

/// E-mail address syntax: what real CRMs accept (local@domain.tld), not all of RFC 5322.
public enum EmailRules {
    /// An address of at most 254 characters: a local part of 1 to 64 letters, digits and
    /// `.!#$%&'*+/=?^_`{|}~-` (no leading, trailing or double dot), one `@`, and a domain of two
    /// or more labels of letters, digits and inner hyphens, the last of letters only. Every
    /// character allowed is ASCII, so the check reads bytes (an import checks a million).
    public static func isValid(_ email: String) -> Bool {
        var email = email
        return email.withUTF8(isValid(bytes:))
    }

    private static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let at = UInt8(ascii: "@"), dot = UInt8(ascii: "."), hyphen = UInt8(ascii: "-")
        guard bytes.count <= 254, let split = bytes.firstIndex(of: at), bytes.lastIndex(of: at) == split else { return false }
        let local = bytes[..<split], domain = bytes[(split + 1)...]
        guard (1...64).contains(local.count), local.first != dot, local.last != dot else { return false }
        var previous: UInt8 = 0
        for byte in local {
            guard isLetterOrDigit(byte) || localSymbols.contains(byte), !(byte == dot && previous == dot) else { return false }
            previous = byte
        }
        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != hyphen, label.last != hyphen,
                  label.allSatisfy({ isLetterOrDigit($0) || $0 == hyphen }) else { return false }
        }
        return labels.last!.count >= 2 && labels.last!.allSatisfy(isLetter)
    }

    private static let localSymbols = Array(".!#$%&'*+/=?^_`{|}~-".utf8)

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

extension String {
    public var trimmingSpaces: String {
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
