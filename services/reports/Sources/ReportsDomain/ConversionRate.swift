/// One group's outcomes and its conversion rate.
public struct ConversionTally: Sendable, Hashable {
    public var key: String
    public var won: Int64 = 0
    public var lost: Int64 = 0
    public var cancelled: Int64 = 0
    public var open: Int64 = 0

    public init(key: String, won: Int64 = 0, lost: Int64 = 0, cancelled: Int64 = 0, open: Int64 = 0) {
        self.key = key
        self.won = won
        self.lost = lost
        self.cancelled = cancelled
        self.open = open
    }

    public var total: Int64 { won + lost + cancelled + open }

    /// won / (won + lost + cancelled) in basis points, rounded to the nearest; 0 when none is closed.
    public var rateBasisPoints: Int32 {
        let closed = won + lost + cancelled
        guard closed > 0 else { return 0 }
        return Int32((won * 10_000 + closed / 2) / closed)
    }

    /// Best rate first; then more leads closed, then the key, so the order is stable.
    public static func ranked(_ tallies: [ConversionTally]) -> [ConversionTally] {
        tallies.sorted {
            ($0.rateBasisPoints, $0.won + $0.lost + $0.cancelled, $1.key) > ($1.rateBasisPoints, $1.won + $1.lost + $1.cancelled, $0.key)
        }
    }
}
