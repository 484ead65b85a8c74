/// Builds indented Swift source text.
struct CodeWriter {
    private(set) var text = ""
    private var level = 0

    mutating func line(_ s: String = "") {
        if s.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: level) + s + "\n"
        }
    }

    /// Writes `open`, the body one level deeper, then `close`.
    mutating func block(_ open: String, close: String = "}", _ body: (inout CodeWriter) throws -> Void) rethrows {
        line(open)
        level += 1
        try body(&self)
        level -= 1
        if !close.isEmpty { line(close) }
    }

    /// Writes a proto comment as a doc comment.
    mutating func doc(_ comment: String?) {
        guard let comment else { return }
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0)
        }
        while lines.last?.trimmingSpaces.isEmpty == true { lines.removeLast() }
        for l in lines { line(l.isEmpty ? "///" : "/// " + l) }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
