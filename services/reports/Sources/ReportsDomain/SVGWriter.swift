import CRMDomain
import Foundation

/// The SVG elements a chart is made of, with every text escaped (a label is a lead's campaign
/// or a user's name: anything a client typed).
struct SVGWriter {
    private var out = ""
    let width: Int
    let height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    static func escaped(_ text: String) -> String {
        // XML 1.0 cannot carry most control characters, even escaped: they become spaces.
        HTMLText.escaped(String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" ? " " : $0 })))
    }

    private static func n(_ value: Double) -> String { String(format: "%.1f", value) }

    private func tooltip(_ text: String?) -> String { text.map { "<title>\(Self.escaped($0))</title>" } ?? "" }

    mutating func open(title: String, description: String) {
        out += """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="chart-title chart-desc">
            <title id="chart-title">\(Self.escaped(title))</title>
            <desc id="chart-desc">\(Self.escaped(description))</desc>
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>

            """
    }

    mutating func close() -> String {
        out + "</svg>\n"
    }

    mutating func text(_ text: String, x: Double, y: Double, size: Int = 12, anchor: String, bold: Bool = false, rotate: Double? = nil, tooltip: String? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(Self.n($0)) \(Self.n(x)) \(Self.n(y)))\"" } ?? ""
        let weight = bold ? " font-weight=\"bold\"" : ""
        let hint = tooltip.flatMap { $0 == text ? nil : $0 }
        out += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"\(size)\"\(weight) fill=\"#222222\" text-anchor=\"\(anchor)\"\(transform)>"
            + self.tooltip(hint) + Self.escaped(text) + "</text>\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) {
        out += "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"1\"/>\n"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, tooltip: String?) {
        out += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(width))\" height=\"\(Self.n(max(0, height)))\" fill=\"\(fill)\">\(self.tooltip(tooltip))</rect>\n"
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, tooltip: String?) {
        out += "<circle cx=\"\(Self.n(cx))\" cy=\"\(Self.n(cy))\" r=\"\(Self.n(r))\" fill=\"\(fill)\">\(self.tooltip(tooltip))</circle>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String) {
        let list = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        out += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"2\"/>\n"
    }

    /// A pie slice from angle `from` to `to` (radians, clockwise from the x axis).
    mutating func wedge(cx: Double, cy: Double, r: Double, from: Double, to: Double, fill: String, tooltip: String?) {
        let x1 = cx + r * cos(from), y1 = cy + r * sin(from), x2 = cx + r * cos(to), y2 = cy + r * sin(to)
        let large = to - from > .pi ? 1 : 0
        out += "<path d=\"M \(Self.n(cx)) \(Self.n(cy)) L \(Self.n(x1)) \(Self.n(y1)) A \(Self.n(r)) \(Self.n(r)) 0 \(large) 1 \(Self.n(x2)) \(Self.n(y2)) Z\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\">\(self.tooltip(tooltip))</path>\n"
    }
}
