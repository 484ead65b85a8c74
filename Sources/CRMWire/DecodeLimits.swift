/// Bounds on what decoding one message may cost.
///
/// protobuf-c allocates while it unpacks, and crafted input can make it allocate about 40 times
/// its own size (many empty sub-messages, each a struct). The budget caps the bytes the decoder
/// may allocate; past it decoding fails with `WireError.Reason.budgetExceeded`.
public struct DecodeLimits: Sendable, Hashable {
    /// Allocation allowed per input byte.
    public var bytesPerInputByte: Int
    /// Allocation always allowed, whatever the input's size.
    public var minimumBudget: Int
    /// Allocation never exceeded, whatever the input's size.
    public var maximumBudget: Int
    /// How deeply messages may nest.
    public var maxDepth: Int
    /// Elements one repeated field may hold in one message (strings, messages and packed
    /// scalars), checked before protobuf-c decodes anything: a request of 270,000 e-mails is
    /// refused after one walk of its bytes, not after building them all.
    public var maxRepeated: Int

    public init(bytesPerInputByte: Int = 16, minimumBudget: Int = 64 * 1024, maximumBudget: Int = 128 * 1024 * 1024, maxDepth: Int = 32,
                maxRepeated: Int = 1_000_000) {
        self.bytesPerInputByte = bytesPerInputByte
        self.minimumBudget = minimumBudget
        self.maximumBudget = maximumBudget
        self.maxDepth = maxDepth
        self.maxRepeated = maxRepeated
    }

    /// What a server allows a request: no request of the contracts needs more than 10,000
    /// elements in a field (the most ids a bulk call takes).
    public static let requests = DecodeLimits(maxRepeated: 10_000)

    public func allocationBudget(forSize size: Int) -> Int {
        let (scaled, overflow) = size.multipliedReportingOverflow(by: bytesPerInputByte)
        return min(maximumBudget, max(minimumBudget, overflow ? Int.max : scaled))
    }
}
