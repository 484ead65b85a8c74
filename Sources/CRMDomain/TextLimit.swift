/// Limits on a free-text field that bound what it costs, not only what it looks like: a
/// "character" (grapheme) can hold any number of combining marks, so a 200-character limit
/// alone lets megabytes through. A field of at most `characters` graphemes may also hold at
/// most twice as many Unicode scalars and four bytes per character of UTF-8.
public struct TextLimit: Sendable, Hashable {
    public var characters: Int
    public var required: Bool
    /// Whether line breaks and tabs are allowed (descriptions, not names).
    public var multiline: Bool

    public init(characters: Int, required: Bool = false, multiline: Bool = false) {
        self.characters = characters
        self.required = required
        self.multiline = multiline
    }

    public var maxBytes: Int { characters * 4 }
    public var maxScalars: Int { characters * 2 }

    /// Adds a violation of `field` when `text` breaks the limit; the cheap bounds first, so a
    /// hostile value is refused before anything walks its graphemes.
    public func check(_ text: String, field: String, into violations: inout Violations) {
        if text.isEmpty {
            if required { violations.add(field, "is required") }
            return
        }
        if required && text.allSatisfy(\.isWhitespace) {
            violations.add(field, "is required (it is only white space)")
        } else if text.utf8.count > maxBytes || text.unicodeScalars.count > maxScalars {
            violations.add(field, "is too long: at most \(characters) characters and \(maxBytes) bytes")
        } else if text.count > characters {
            violations.add(field, "must be at most \(characters) characters")
        } else if text.unicodeScalars.contains(where: { scalar in
            scalar.properties.generalCategory == .control && !(multiline && (scalar == "\n" || scalar == "\t" || scalar == "\r"))
        }) {
            violations.add(field, multiline ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters or line breaks")
        }
    }
}
