import CommsDomain
import Foundation
import Synchronization
import Testing
@testable import CommsService

/// aiosmtpd on loopback, run by `Resources/smtp_server.py` in one of its modes.
final class SMTPServerProcess: Sendable {
    let process: Process
    let port: Int
    let folder: URL
    private let stdin: Pipe

    init(mode: String, certificate: (cert: String, key: String)? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-smtp-\(UUID().uuidString)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/smtp_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, mode, folder.appendingPathComponent("received").path] + (certificate.map { [$0.cert, $0.key] } ?? [])
        let out = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = stdin
        try process.run()
        self.process = process
        self.stdin = stdin
        // The first line says where it listens; a server that fails to start ends the pipe.
        var text = ""
        let handle = out.fileHandleForReading
        while !text.contains("\n") {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, line.hasPrefix("READY "), let port = Int(line.dropFirst(6)) else {
            process.terminate()
            throw SMTPTestError("the SMTP test server did not start (is aiosmtpd installed? scripts/setup installs it): \(text)")
        }
        self.port = port
    }

    /// The messages it accepted, as they arrived.
    var received: [[UInt8]] {
        let folder = self.folder.appendingPathComponent("received")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("message-") }.sorted()
        return names.map { [UInt8](FileManager.default.contents(atPath: folder.appendingPathComponent($0).path) ?? Data()) }
    }

    var envelopes: [String] {
        let folder = self.folder.appendingPathComponent("received")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("envelope-") }.sorted()
        return names.map { String(decoding: FileManager.default.contents(atPath: folder.appendingPathComponent($0).path) ?? Data(), as: UTF8.self) }
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

struct SMTPTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("SMTP delivery against a real SMTP server on loopback (aiosmtpd)", .serialized, .timeLimit(.minutes(2)))
struct SMTPTransportTests {
    static let message = MessageRecord(
        id: 3, leadID: 7, templateID: 1, recipient: "ana@acme.example", senderName: "Marta Ruíz", subject: "Oferta para Peña",
        body: "Hola Ana,\n.una línea que empieza por punto\n\nSaludos", bodyKind: .plain, messageID: "3.1800000000000@crm.example",
        nextAttemptAt: 0, createdBy: 1, createdAt: 1_800_000_000_000)

    func transport(_ server: SMTPServerProcess, startTLS: Bool = false, ca: String? = nil, user: String? = nil, password: String? = nil) -> SMTPTransport {
        SMTPTransport(configuration: SMTPTransport.Configuration(
            host: "127.0.0.1", port: server.port, startTLS: startTLS, caFile: ca, username: user, password: password,
            heloName: "crm.example", envelopeFrom: "crm@crm.example", timeout: .seconds(10)))
    }

    @Test("a message arrives byte for byte, with its envelope; a leading dot survives the dot-stuffing")
    func delivered() async throws {
        let server = try SMTPServerProcess(mode: "ok")
        defer { server.stop() }
        let bytes = MailComposer.compose(Self.message, from: "crm@crm.example", date: Date(timeIntervalSince1970: 1_800_000_000))
        try await transport(server).deliver(bytes, message: Self.message)
        #expect(server.received == [bytes])
        #expect(server.envelopes.first?.contains("from=crm@crm.example\nto=ana@acme.example") == true)
        let stuffed = Array("a\r\n.b\r\n..c\r\n".utf8)
        #expect(SMTPSession.dotStuffed(stuffed) == Array("a\r\n..b\r\n...c\r\n".utf8))
    }

    @Test("AUTH with the right password delivers; a wrong one is a permanent failure")
    func authentication() async throws {
        let server = try SMTPServerProcess(mode: "auth")
        defer { server.stop() }
        let bytes = MailComposer.compose(Self.message, from: "crm@crm.example", date: Date())
        try await transport(server, user: "crm", password: "secret-pass").deliver(bytes, message: Self.message)
        #expect(server.received.count == 1)
        let refused = await #expect(throws: DeliveryError.self) { try await transport(server, user: "crm", password: "wrong").deliver(bytes, message: Self.message) }
        if case .permanent? = refused {} else { Issue.record("expected a permanent failure, got \(String(describing: refused))") }
    }

    @Test("4xx is retried later, 5xx fails for good, a connection dropped in DATA is retried; nothing half-sent is stored")
    func failures() async throws {
        let bytes = MailComposer.compose(Self.message, from: "crm@crm.example", date: Date())
        for (mode, permanent) in [("tempfail", false), ("permfail", true), ("drop", false)] {
            let server = try SMTPServerProcess(mode: mode)
            defer { server.stop() }
            let error = await #expect(throws: DeliveryError.self, "\(mode)") { try await transport(server).deliver(bytes, message: Self.message) }
            switch error {
            case .permanent?: #expect(permanent, "\(mode): \(String(describing: error))")
            case .temporary?: #expect(!permanent, "\(mode): \(String(describing: error))")
            case nil: break
            }
            #expect(server.received.isEmpty, "\(mode)")
        }
    }

    @Test("STARTTLS: required and used when asked for; the message arrives over TLS")
    func startTLS() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cert = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a test certificate")
        let server = try SMTPServerProcess(mode: "starttls", certificate: (cert, key))
        defer { server.stop() }
        let bytes = MailComposer.compose(Self.message, from: "crm@crm.example", date: Date())
        try await transport(server, startTLS: true, ca: cert).deliver(bytes, message: Self.message)
        #expect(server.received == [bytes])
        // Without STARTTLS the server refuses to take mail.
        let plain = await #expect(throws: DeliveryError.self) { try await transport(server).deliver(bytes, message: Self.message) }
        #expect(plain != nil)
    }
}
