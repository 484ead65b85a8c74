/// Text made safe for HTML: what a template renders into an HTML message and what a web form's
/// page shows of its configuration and of a visitor's input.
public enum HTMLText {
    /// `text` with `& < > " '` escaped, for HTML text and (quoted) attribute values.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
