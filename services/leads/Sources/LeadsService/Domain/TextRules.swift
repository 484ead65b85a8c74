import CRMDomain

/// Checks shared by every free-text field.
public enum TextRules {
    /// Trims the ends and folds runs of white space into one space.
    public static func collapsed(_ text: String) -> String {
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

    /// Required-ness, length, and no control characters.
    public static func check(_ text: String, field: String, required: Bool, max: Int, into violations: inout Violations) {
        if required && text.isEmpty {
            violations.add(field, "is required")
        } else if text.count > max {
            violations.add(field, "must be at most \(max) characters")
        } else if text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }),
                  text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) {
            violations.add(field, "must not contain control characters")
        }
    }
}

/// E-mail address syntax: what real CRMs accept (local@domain.tld), not all of RFC 5322.
public enum EmailRules {
    public static func isValid(_ email: String) -> Bool {
        guard email.count <= 254, let at = email.firstIndex(of: "@"), email.lastIndex(of: "@") == at else { return false }
        let local = email[..<at]
        let domain = email[email.index(after: at)...]
        guard (1...64).contains(local.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.lowercased().allSatisfy({ localAllowed.contains($0) }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.lowercased().allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }) else { return false }
        return labels.last!.count >= 2 && labels.last!.allSatisfy(\.isLetter)
    }
}

extension String {
    var trimmingSpaces: String {
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
