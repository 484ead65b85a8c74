import Foundation

/// Draws a `ChartData` as a self-contained SVG: fixed fonts and colours, no script, no external
/// style, a <title> and <desc> that carry the data in words, so that any viewer (or a screen
/// reader, or a person reading the file) gets the same chart.
public struct SVGChart: Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int = 800, height: Int = 500) {
        self.width = width
        self.height = height
    }

    /// Colours that stay distinct for the colour-blind (Okabe and Ito), then repeat.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    public func draw(_ data: ChartData, as style: ChartData.Style) -> String {
        var svg = SVGWriter(width: width, height: height)
        let summary = data.points.map { "\($0.label): \(Self.format($0.value))" }.joined(separator: "; ")
        svg.open(title: data.title, description: data.points.isEmpty ? "No data." : "\(data.valueTitle) by \(data.categoryTitle.lowercased()): \(summary).")
        svg.text(data.title, x: Double(width) / 2, y: 28, size: 18, anchor: "middle", bold: true)
        if data.points.isEmpty {
            svg.text("No data", x: Double(width) / 2, y: Double(height) / 2, size: 14, anchor: "middle")
        } else {
            switch style {
            case .bar, .line: drawAxes(data, style: style, into: &svg)
            case .pie: drawPie(data, into: &svg)
            }
        }
        return svg.close()
    }

    // MARK: bars and lines

    private func drawAxes(_ data: ChartData, style: ChartData.Style, into svg: inout SVGWriter) {
        let left = 80.0, right = 24.0, top = 56.0
        let rotate = data.points.count > 6
        let bottom = rotate ? 120.0 : 72.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let ticks = Self.ticks(upTo: data.points.map(\.value).max() ?? 0)
        let top_ = ticks.last ?? 1
        func y(_ v: Double) -> Double { top + plotHeight - (top_ == 0 ? 0 : v / top_ * plotHeight) }

        for tick in ticks {
            svg.line(x1: left, y1: y(tick), x2: left + plotWidth, y2: y(tick), stroke: "#dddddd")
            svg.text(Self.format(tick), x: left - 8, y: y(tick) + 4, anchor: "end")
        }
        svg.line(x1: left, y1: top, x2: left, y2: top + plotHeight, stroke: "#333333")
        svg.line(x1: left, y1: top + plotHeight, x2: left + plotWidth, y2: top + plotHeight, stroke: "#333333")
        svg.text(data.valueTitle, x: 18, y: top + plotHeight / 2, anchor: "middle", rotate: -90)
        svg.text(data.categoryTitle, x: left + plotWidth / 2, y: Double(height) - 12, anchor: "middle")

        let slot = plotWidth / Double(data.points.count)
        var line: [(Double, Double)] = []
        for (index, point) in data.points.enumerated() {
            let centre = left + slot * (Double(index) + 0.5)
            let label = Self.shortened(point.label, to: rotate ? 18 : max(4, Int(slot / 7)))
            if rotate {
                svg.text(label, x: centre, y: top + plotHeight + 14, anchor: "end", rotate: -45, tooltip: point.label)
            } else {
                svg.text(label, x: centre, y: top + plotHeight + 18, anchor: "middle", tooltip: point.label)
            }
            switch style {
            case .bar:
                let barWidth = min(slot * 0.7, 80)
                svg.rect(x: centre - barWidth / 2, y: y(point.value), width: barWidth, height: top + plotHeight - y(point.value),
                         fill: Self.palette[0], tooltip: "\(point.label): \(Self.format(point.value))")
                svg.text(Self.format(point.value), x: centre, y: y(point.value) - 6, anchor: "middle")
            default:
                line.append((centre, y(point.value)))
            }
        }
        if style == .line {
            svg.polyline(line, stroke: Self.palette[0])
            for ((x, yy), point) in zip(line, data.points) {
                svg.circle(cx: x, cy: yy, r: 4, fill: Self.palette[0], tooltip: "\(point.label): \(Self.format(point.value))")
                svg.text(Self.format(point.value), x: x, y: yy - 10, anchor: "middle")
            }
        }
    }

    // MARK: pie

    private func drawPie(_ data: ChartData, into svg: inout SVGWriter) {
        let total = data.points.reduce(0) { $0 + max(0, $1.value) }
        let radius = min(Double(width) * 0.3, Double(height) - 110) / 2 + 20
        let cx = 40 + radius, cy = 56 + (Double(height) - 56) / 2
        var angle = -Double.pi / 2
        for (index, point) in data.points.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let share = total == 0 ? 0 : max(0, point.value) / total
            let tooltip = "\(point.label): \(Self.format(point.value)) (\(Self.percent(share)))"
            if share >= 0.9999 {
                svg.circle(cx: cx, cy: cy, r: radius, fill: colour, tooltip: tooltip)
            } else if share > 0 {
                let end = angle + share * 2 * .pi
                svg.wedge(cx: cx, cy: cy, r: radius, from: angle, to: end, fill: colour, tooltip: tooltip)
                angle = end
            }
            // The legend: a swatch, the label, the value and its share.
            let ly = 70 + Double(index) * 22
            let lx = cx + radius + 40
            svg.rect(x: lx, y: ly - 11, width: 14, height: 14, fill: colour, tooltip: nil)
            svg.text("\(Self.shortened(point.label, to: 40)) — \(Self.format(point.value)) (\(Self.percent(share)))", x: lx + 22, y: ly, anchor: "start",
                     tooltip: point.label)
        }
        if total == 0 { svg.text("All values are 0", x: cx, y: cy, anchor: "middle") }
    }

    // MARK: numbers and labels

    /// Round tick values from 0 to at least `maximum`: 1, 2 or 5 times a power of ten apart.
    static func ticks(upTo maximum: Double) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0, 1] }
        let rough = maximum / 5
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? power * 10
        var ticks: [Double] = []
        var value = 0.0
        while value < maximum + step / 2 && ticks.count < 12 {
            ticks.append(value)
            value += step
        }
        if (ticks.last ?? 0) < maximum { ticks.append(value) }
        return ticks
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 {
            let n = Int64(value)
            let digits = String(abs(n))
            var grouped = ""
            for (i, c) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { grouped.append(",") }
                grouped.append(c)
            }
            return (n < 0 ? "-" : "") + String(grouped.reversed())
        }
        return String(format: "%.2f", value)
    }

    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    static func shortened(_ label: String, to limit: Int) -> String {
        label.count <= limit ? label : String(label.prefix(max(1, limit - 1))) + "…"
    }
}
