/// An aggregate ready to draw: a title, what the values measure, and one value per group.
public struct ChartData: Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var label: String
        public var value: Double

        public init(_ label: String, _ value: Double) {
            self.label = label
            self.value = value
        }
    }

    public enum Style: String, Sendable, Hashable, CaseIterable {
        case bar, pie, line
    }

    public var title: String
    /// What the groups are ("Life-cycle state").
    public var categoryTitle: String
    /// What the values measure ("Leads", "Conversion (%)").
    public var valueTitle: String
    public var points: [Point]

    public init(title: String, categoryTitle: String, valueTitle: String, points: [Point]) {
        self.title = title
        self.categoryTitle = categoryTitle
        self.valueTitle = valueTitle
        self.points = points
    }
}
