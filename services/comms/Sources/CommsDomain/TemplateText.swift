import CRMDomain

/// A template's subject or body read as text and tags. The rule, documented for template
/// authors: `#` starts a tag only when a letter follows it (`#lead.full_name`); the tag runs over
/// letters, digits, `_` and inner `.` (a final `.` is the sentence's). `##` writes one literal
/// `#`. So "Order #123", "C#" and "50 # off" need nothing, and "##hashtag" gives "#hashtag".
public struct TemplateText: Sendable, Hashable {
    public enum Piece: Sendable, Hashable {
        case text(String)
        /// A tag, by name with its `#`, and its character offset in the text.
        case tag(String, offset: Int)
    }

    public let pieces: [Piece]

    public init(_ text: String) {
        var pieces: [Piece] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        func isTagChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == ".") }
        while i < chars.count {
            let c = chars[i]
            if c == "#", i + 1 < chars.count, chars[i + 1] == "#" {
                literal.append("#")
                i += 2
                continue
            }
            if c == "#", i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isLetter {
                var j = i + 1
                while j < chars.count, isTagChar(chars[j]) { j += 1 }
                while j > i + 1, chars[j - 1] == "." { j -= 1 }  // "…#lead.full_name." ends a sentence
                if !literal.isEmpty { pieces.append(.text(literal)); literal = "" }
                pieces.append(.tag(String(chars[i..<j]), offset: i))
                i = j
                continue
            }
            literal.append(c)
            i += 1
        }
        if !literal.isEmpty { pieces.append(.text(literal)) }
        self.pieces = pieces
    }

    /// The tags used, in order of first use.
    public var tags: [String] {
        var seen: Set<String> = []
        return pieces.compactMap { piece in
            guard case .tag(let name, _) = piece, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// A problem with one tag of a template.
    public struct Problem: Sendable, Hashable {
        public var tag: String
        public var part: String
        public var offset: Int
        public var message: String
    }

    /// The tags that are malformed or not in `catalogue`.
    public func problems(part: String, catalogue: TagCatalogue) -> [Problem] {
        pieces.compactMap { piece in
            guard case .tag(let name, let offset) = piece else { return nil }
            if name.contains("..") || name != name.lowercased() {
                return Problem(tag: name, part: part, offset: offset, message: "is malformed: tags are lower case words joined by single dots, such as #lead.full_name (write ## for a literal #)")
            }
            guard catalogue.contains(name) else {
                let hint = catalogue.suggestion(for: name).map { "; did you mean \($0)?" } ?? ""
                return Problem(tag: name, part: part, offset: offset, message: "is not a tag of the catalogue (crm tags lists them; write ## for a literal #)\(hint)")
            }
            return nil
        }
    }
}
