import Foundation
import Synchronization

/// A service executable of this build, started as a real process on a free port.
final class ServiceProcess: Sendable {
    let process: Process
    let port: Int
    private let log: LogCollector

    /// The folder holding this build's executables (the test bundle sits beside them).
    static var productsFolder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Starts `name` with `arguments` (plus `--listen 127.0.0.1:0` unless they listen elsewhere), and waits (at most 30 s) for
    /// it to log the address it listens on.
    init(_ name: String, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        let binary = Self.productsFolder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ProcessError("\(binary.path) is missing: build the executables first (swift build)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments.contains("--listen") ? arguments : arguments + ["--listen", "127.0.0.1:0"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let log = LogCollector()
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(data) }
        }
        try process.run()
        self.process = process
        self.log = log
        guard let port = await log.waitForPort(while: { process.isRunning }) else {
            process.terminate()
            throw ProcessError("\(name) did not report a listening address; its log:\n\(log.text)")
        }
        self.port = port
    }

    var logText: String { log.text }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    func terminate() async -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<3000 {
            if !process.isRunning { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(10))
        }
        process.interrupt()
        return nil
    }
}

struct ProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects a process's standard error as it arrives.
final class LogCollector: Sendable {
    private let buffer = Mutex<String>("")

    func append(_ data: Data) {
        buffer.withLock { $0 += String(decoding: data, as: UTF8.self) }
    }

    var text: String { buffer.withLock { $0 } }

    /// The port from the first "address=HOST:PORT ... listening" line, waiting while `alive`.
    func waitForPort(while alive: () -> Bool) async -> Int? {
        for attempt in 0..<3000 {
            // Once the process is gone, read what it wrote last and give up.
            if attempt > 0 && !alive() {
                try? await Task.sleep(for: .milliseconds(50))
                return port(in: text)
            }
            if let port = port(in: text) { return port }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    private func port(in text: String) -> Int? {
        // The RPC server's line: the metrics and web forms listeners log theirs too.
        for line in text.split(separator: "\n") where line.hasSuffix("[CRMRPC] listening") {
            guard let range = line.range(of: "address="), let end = line[range.upperBound...].firstIndex(of: " ") else { continue }
            let address = line[range.upperBound..<end]
            if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) { return port }
        }
        return nil
    }
}
