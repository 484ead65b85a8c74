import NIOCore

extension Duration {
    /// The duration in whole nanoseconds, saturating at the bounds of Int64.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : total
    }

    /// The duration in whole milliseconds, saturating.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// The same span as a NIO `TimeAmount`.
    public var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
}
