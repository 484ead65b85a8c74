/// Bytes that are not well-formed protobuf wire format.
public struct WireFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset, from the start of the innermost reader, where reading failed.
    public var offset: Int
    /// What was wrong, as a short phrase.
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at byte \(offset)" }
}
