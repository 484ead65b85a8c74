/// The current time in Unix milliseconds, injectable so rules that depend on time (deadlines, the
/// 60-day rule, token expiry) can be tested.
public struct WallClock: Sendable {
    private let now: @Sendable () -> Int64

    public init(_ now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    public func millis() -> Int64 { now() }

    /// The system's clock.
    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A clock that always says `millis`.
    public static func fixed(_ millis: Int64) -> WallClock { WallClock { millis } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
