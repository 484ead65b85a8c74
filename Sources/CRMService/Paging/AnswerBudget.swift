import CRMDomain
import CRMRPC
import CRMWire
import GRDB

/// How big an answer may grow. The runtime refuses to send a frame over its limit, so an answer
/// that outgrows it is an error the client can never get past: a list that always fails, a
/// feed follower stuck at one event, a change committed but never answered. So a stored event
/// and the answer of a change are checked before they commit, and a list stops a page when it
/// is full, by bytes as well as by rows (the next page starts after the last row sent).
public enum AnswerBudget {
    /// The most bytes one answer may carry: the frame limit less room for the frame's header.
    public static let answerBytes = FrameLimits().maxFrameSize - 64 * 1024
    /// The bytes of rows a page carries before it stops: half the frame, so the rest of the
    /// answer (totals, names, tokens) and the encoding's own overhead always fit.
    public static let pageBytes = FrameLimits().maxFrameSize / 2

    /// Refuses an answer (or an event) too big to send, with RESOURCE_EXHAUSTED; called inside
    /// the transaction, so that nothing of the call commits.
    public static func require(bytes: Int, of what: String) throws {
        guard bytes <= answerBytes else {
            throw RPCError(.resourceExhausted, "\(what) would be \(bytes) bytes, over the \(answerBytes)-byte limit of one answer; nothing was changed")
        }
    }

    public static func require<Message: WireMessage>(_ message: Message, of what: String = "the answer") throws {
        try require(bytes: try message.encodedSize(), of: what)
    }

    /// The bytes a stored row takes on the wire, near enough: its text and blobs, and a varint
    /// for every other value. A row's wire message carries the same values under short tags.
    public static func bytes(of row: Row) -> Int {
        var total = 0
        for value in row.databaseValues {
            switch value.storage {
            case .string(let text): total += text.utf8.count + 4
            case .blob(let data): total += data.count + 4
            default: total += 10
            }
        }
        return total
    }
}

/// Counts the bytes of a page as its rows are added, and says when the page is full.
public struct PageFill: Sendable {
    public private(set) var bytes = 0
    public private(set) var rows = 0
    public let limit: Int

    public init(limit: Int = AnswerBudget.pageBytes) {
        self.limit = limit
    }

    /// Whether a row of `size` bytes still goes in the page; the first always does (no row
    /// outgrows an answer: every stored value is bounded in bytes).
    public mutating func admits(bytes size: Int) -> Bool {
        guard rows == 0 || bytes + size <= limit else { return false }
        bytes += size
        rows += 1
        return true
    }

    public mutating func admits(_ row: Row) -> Bool {
        admits(bytes: AnswerBudget.bytes(of: row))
    }
}
