import Foundation
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import NIOSSL

/// Delivery over SMTP (RFC 5321) on SwiftNIO: EHLO, STARTTLS when configured (the connection is
/// refused rather than sent in the clear if the server does not offer it), AUTH PLAIN or LOGIN,
/// MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT. A 4xx answer or a broken connection is a
/// temporary failure (retried); a 5xx answer is permanent.
struct SMTPTransport: MailTransport {
    struct Configuration: Sendable {
        var host: String
        var port: Int
        /// Require STARTTLS before anything else is said.
        var startTLS: Bool
        /// A PEM file of the certificates to trust (nil: the system's).
        var caFile: String?
        var username: String?
        var password: String?
        /// The name this client gives in EHLO.
        var heloName: String
        var envelopeFrom: String
        var timeout: Duration
    }

    let configuration: Configuration
    var description: String { "smtp \(configuration.host):\(configuration.port)\(configuration.startTLS ? " (STARTTLS)" : "")" }

    func deliver(_ bytes: [UInt8], message: MessageRecord) async throws {
        let session = try await SMTPSession.connect(configuration)
        do {
            try await session.send(bytes, to: message.recipient)
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }
}

/// One SMTP conversation: lines in through an `AsyncStream`, commands out.
final class SMTPSession: @unchecked Sendable {
    private let channel: any Channel
    private var lines: AsyncThrowingStream<String, any Error>.AsyncIterator
    private let configuration: SMTPTransport.Configuration

    private init(channel: any Channel, lines: AsyncThrowingStream<String, any Error>, configuration: SMTPTransport.Configuration) {
        self.channel = channel
        self.lines = lines.makeAsyncIterator()
        self.configuration = configuration
    }

    static func connect(_ configuration: SMTPTransport.Configuration) async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SMTPLineHandler(continuation)) }
                }
                .connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw DeliveryError.temporary("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        let session = SMTPSession(channel: channel, lines: stream, configuration: configuration)
        do {
            try await session.expect(220, after: nil)
            var extensions = try await session.hello()
            if configuration.startTLS {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw DeliveryError.temporary("\(configuration.host) does not offer STARTTLS, and the message is not sent in the clear")
                }
                try await session.expect(220, after: "STARTTLS")
                try await session.startTLS()
                extensions = try await session.hello()
            }
            if let user = configuration.username, let password = configuration.password {
                try await session.authenticate(user: user, password: password, extensions: extensions)
            }
        } catch {
            await session.close()
            throw error
        }
        return session
    }

    /// EHLO; the extensions the server lists.
    private func hello() async throws -> [String] {
        let reply = try await command("EHLO \(configuration.heloName)")
        guard reply.code == 250 else { throw Self.failure(reply, "EHLO") }
        return Array(reply.lines.dropFirst())
    }

    private func startTLS() async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = configuration.caFile { tls.trustRoots = .file(ca) }
        let context = try NIOSSLContext(configuration: tls)
        let handler = try NIOSSLClientHandler(context: context, serverHostname: configuration.host.first?.isNumber == true ? nil : configuration.host)
        // TLS goes in front of the line reader: what is read from here on is decrypted first.
        try await channel.eventLoop.submit { try self.channel.pipeline.syncOperations.addHandler(handler, position: .first) }.get()
    }

    private func authenticate(user: String, password: String, extensions: [String]) async throws {
        let auth = extensions.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
        if auth.contains("PLAIN") || !auth.contains("LOGIN") {
            let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            let reply = try await command("AUTH PLAIN \(token)")
            guard reply.code == 235 else { throw Self.failure(reply, "AUTH PLAIN") }
        } else {
            var reply = try await command("AUTH LOGIN")
            guard reply.code == 334 else { throw Self.failure(reply, "AUTH LOGIN") }
            reply = try await command(Data(user.utf8).base64EncodedString())
            guard reply.code == 334 else { throw Self.failure(reply, "AUTH LOGIN") }
            reply = try await command(Data(password.utf8).base64EncodedString())
            guard reply.code == 235 else { throw Self.failure(reply, "AUTH LOGIN") }
        }
    }

    /// The envelope and the message; the message's lines dot-stuffed, ended by a line with a dot.
    func send(_ bytes: [UInt8], to recipient: String) async throws {
        try await expect(250, after: "MAIL FROM:<\(configuration.envelopeFrom)>")
        let rcpt = try await command("RCPT TO:<\(recipient)>")
        guard rcpt.code == 250 || rcpt.code == 251 else { throw Self.failure(rcpt, "RCPT TO") }
        try await expect(354, after: "DATA")
        try await write(Self.dotStuffed(bytes) + Array(".\r\n".utf8))
        try await expect(250, after: nil)
        _ = try? await command("QUIT")
    }

    /// Every line that starts with "." gets another in front (RFC 5321 4.5.2); the text ends with CRLF.
    static func dotStuffed(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 64)
        var atLineStart = true
        for byte in bytes {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        if !out.suffix(2).elementsEqual([13, 10]) { out += [13, 10] }
        return out
    }

    struct Reply {
        var code: Int
        var lines: [String]
    }

    private func command(_ line: String) async throws -> Reply {
        try await write(Array((line + "\r\n").utf8))
        return try await reply()
    }

    private func expect(_ code: Int, after line: String?) async throws {
        let reply = line == nil ? try await reply() : try await command(line!)
        guard reply.code == code else { throw Self.failure(reply, line.map { String($0.prefix(20)) } ?? "the answer") }
    }

    private func write(_ bytes: [UInt8]) async throws {
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
        } catch {
            throw DeliveryError.temporary("the connection to \(configuration.host) broke while sending: \(error)")
        }
    }

    /// One reply: "250-..." lines then "250 ...", within the timeout (past it the connection is
    /// closed, which ends the wait).
    private func reply() async throws -> Reply {
        let channel = self.channel
        let timedOut = NIOLockedValueBox<Bool>(false)
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(configuration.timeout.nanoseconds)) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        var lines: [String] = []
        while true {
            let line: String?
            do {
                line = try await self.lines.next()
            } catch {
                throw DeliveryError.temporary("the connection to \(configuration.host) broke: \(error)")
            }
            guard let line else {
                throw DeliveryError.temporary(timedOut.withLockedValue { $0 }
                    ? "\(configuration.host) did not answer within \(configuration.timeout)" : "\(configuration.host) closed the connection")
            }
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw DeliveryError.temporary("\(configuration.host) answered \"\(line.prefix(80))\"") }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return Reply(code: code, lines: lines) }
        }
    }

    static func failure(_ reply: Reply, _ what: String) -> DeliveryError {
        let text = "SMTP \(reply.code) after \(what): \(reply.lines.joined(separator: " ").prefix(200))"
        return (400..<500).contains(reply.code) ? .temporary(text) : .permanent(text)
    }

    func close() async {
        try? await channel.close()
    }
}

/// Splits what the server sends into lines (CRLF or LF) for the session.
private final class SMTPLineHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let continuation: AsyncThrowingStream<String, any Error>.Continuation
    private var pending: [UInt8] = []

    init(_ continuation: AsyncThrowingStream<String, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let newline = pending.firstIndex(of: 10) {
            var line = Array(pending[..<newline])
            if line.last == 13 { line.removeLast() }
            pending.removeSubrange(...newline)
            continuation.yield(String(decoding: line, as: UTF8.self))
        }
        if pending.count > 4096 { continuation.finish(throwing: DeliveryError.temporary("an SMTP line of more than 4 KiB")) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
