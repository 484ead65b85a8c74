import Foundation

/// Where composed messages go.
protocol MailTransport: Sendable {
    /// Hands one message over; throws `DeliveryError` when it was not taken.
    func deliver(_ bytes: [UInt8], message: MessageRecord) async throws
    /// Where it delivers, for logs.
    var description: String { get }
}

/// Why an attempt failed: worth another attempt later, or never.
enum DeliveryError: Error, CustomStringConvertible {
    case temporary(String)
    case permanent(String)

    var description: String {
        switch self {
        case .temporary(let s), .permanent(let s): s
        }
    }
}

/// A Maildir folder (`tmp/`, `new/`, `cur/`): each message a file any mail tool reads. The
/// file's name comes from the message, so a delivery repeated after a crash replaces the same
/// file: nothing is delivered twice.
struct MaildirTransport: MailTransport {
    let root: URL

    init(root: URL) throws {
        self.root = root
        for folder in ["tmp", "new", "cur"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
    }

    var description: String { "maildir \(root.path)" }

    static func fileName(_ m: MessageRecord) -> String { "\(m.createdAt / 1000).M\(m.id).crm-comms" }

    func deliver(_ bytes: [UInt8], message: MessageRecord) async throws {
        let name = Self.fileName(message)
        let temporary = root.appendingPathComponent("tmp").appendingPathComponent(name)
        let final = root.appendingPathComponent("new").appendingPathComponent(name)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw DeliveryError.temporary("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else {
                close(fd)
                throw DeliveryError.temporary("cannot write \(temporary.path): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        // On disk before it appears in new/: a reader never sees half a message.
        guard fsync(fd) == 0, close(fd) == 0 else { throw DeliveryError.temporary("cannot sync \(temporary.path)") }
        guard rename(temporary.path, final.path) == 0 else {
            throw DeliveryError.temporary("cannot move the message into \(final.path): \(String(cString: strerror(errno)))")
        }
    }
}
