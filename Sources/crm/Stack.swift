import Foundation
import Synchronization

/// The service processes `crm up` runs: it starts them, prints their logs line by line with the
/// service's name in front, notes signals and exits, and stops them all.
final class Stack: Sendable {
    /// What ends a running stack.
    enum Event: Sendable, Equatable {
        case signal(Int32)
        case exited(ServiceName, status: Int32, killed: Bool)
    }

    private struct Member {
        let service: ServiceName
        let process: Process
    }

    private let members = Mutex<[Member]>([])
    private let events = Mutex<[Event]>([])
    private let output = Mutex<Void>(())
    private let colour = Terminal.wantsColour(STDOUT_FILENO)
    // Kept alive for as long as the stack: releasing a source stops its handler. Written once,
    // by `catchSignals` before any service starts, and never read.
    private nonisolated(unsafe) var signalSources: [any DispatchSourceSignal] = []

    /// The executable of `service` beside this `crm` (or in $CRM_BIN), when it is built.
    static func executable(_ service: ServiceName) -> URL? {
        let folder = ProcessInfo.processInfo.environment["CRM_BIN"].map { URL(fileURLWithPath: $0) }
            ?? Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
        guard let url = folder?.appendingPathComponent(service.executable), FileManager.default.isExecutableFile(atPath: url.path) else { return nil }
        return url
    }

    /// Notes SIGINT and SIGTERM as events instead of dying of them.
    func catchSignals() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.events.withLock { $0.append(.signal(number)) } }
            source.resume()
            signalSources.append(source)
        }
    }

    /// The first signal or exit not yet handled.
    func nextEvent() -> Event? {
        events.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    /// Starts `service`'s executable with `arguments`, its output printed as it comes.
    func start(_ service: ServiceName, executable: URL, arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let lines = LineSplitter()
        let prefix = service.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + " | "
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                self?.print(prefix, lines.finish())
            } else {
                self?.print(prefix, lines.append(data))
            }
        }
        process.terminationHandler = { [weak self] finished in
            let killed = finished.terminationReason == .uncaughtSignal
            self?.events.withLock { $0.append(.exited(service, status: finished.terminationStatus, killed: killed)) }
        }
        try process.run()
        members.withLock { $0.append(Member(service: service, process: process)) }
    }

    /// Prints lines (with the log prefix, when given) without interleaving them with others.
    func print(_ lines: [String]) {
        print("", lines)
    }

    /// Prints lines with `prefix` in front of each.
    func print(_ prefix: String, _ lines: [String]) {
        guard !lines.isEmpty else { return }
        let head = colour && !prefix.isEmpty ? Terminal.paint(prefix, .cyan) : prefix
        let text = lines.map { head + $0 + "\n" }.joined()
        output.withLock { _ in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Sends SIGTERM to every service still running, waits up to `grace` for them to finish
    /// their calls and close their databases, then kills what is left.
    func stopAll(grace: Duration) async {
        let running = members.withLock { $0 }.filter { $0.process.isRunning }
        for member in running { kill(member.process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while running.contains(where: { $0.process.isRunning }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for member in running where member.process.isRunning {
            print(["crm-\(member.service.rawValue) did not stop within \(grace); killing it."])
            kill(member.process.processIdentifier, SIGKILL)
            member.process.waitUntilExit()
        }
    }

    /// True when nothing listens on `endpoint` yet (checked by binding it for a moment).
    static func isFree(_ endpoint: Endpoint) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        // A host that does not resolve is for the service to report.
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &result) == 0, let info = result else { return true }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno != EADDRINUSE
    }
}

/// Cuts a byte stream into lines, keeping a partial last line for the next bytes.
final class LineSplitter: Sendable {
    private let pending = Mutex<[UInt8]>([])

    func append(_ data: Data) -> [String] {
        pending.withLock { buffer in
            buffer += data
            guard let last = buffer.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
            let complete = buffer[..<last]
            buffer.removeSubrange(...last)
            return complete.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    func finish() -> [String] {
        pending.withLock { buffer in
            defer { buffer.removeAll() }
            return buffer.isEmpty ? [] : [String(decoding: buffer, as: UTF8.self)]
        }
    }
}
