import CRMDomain

/// What a template's body is written in.
public enum BodyKind: String, Sendable, Hashable {
    case plain, html
}

/// A template filled in for one lead. Values are escaped for the body's kind (HTML escaping in an
/// HTML body); in the subject, which becomes a header, line breaks and control characters become
/// spaces, so no value can add a header. A tag with no value is left empty and reported.
public struct Rendered: Sendable, Hashable {
    public var subject: String
    public var body: String
    public var emptyTags: [String]

    public init(subject: TemplateText, body: TemplateText, kind: BodyKind, values: [String: String]) {
        var empty: [String] = []
        func fill(_ text: TemplateText, _ escape: (String) -> String) -> String {
            var out = ""
            for piece in text.pieces {
                switch piece {
                case .text(let literal): out += literal
                case .tag(let name, _):
                    let value = values[name] ?? ""
                    if value.isEmpty && !empty.contains(name) { empty.append(name) }
                    out += escape(value)
                }
            }
            return out
        }
        self.subject = Self.headerSafe(fill(subject) { $0 })
        self.body = fill(body, kind == .html ? Self.htmlEscaped : { $0 })
        self.emptyTags = empty
    }

    /// `text` with `& < > " '` escaped for HTML text and attribute values.
    public static func htmlEscaped(_ text: String) -> String { HTMLText.escaped(text) }

    /// One line: every control character (CR and LF included) becomes a space.
    public static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0 }))
    }
}
