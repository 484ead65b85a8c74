import CRMAPI
import CRMRPC
import CRMWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hostile-client attacks of issue 18 against a real crm-leads process (this build's, in
/// release), each for a few seconds, while an honest client calls Health and GetLead and signs
/// in from another address. Per attack: the honest calls' p99 and worst latency against ten
/// times their idle p99, the honest sign-in's worst, and the service's resident memory at its
/// peak and once the attack is over.
struct StressBench {
    var seconds: Double

    static let secret = String(repeating: "s", count: 48)
    static let adminPassword = "stress-admin-password"

    func run() async throws -> (table: String, context: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-stress-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let service = try await LeadsProcess.start(folder: folder)
        defer { service.stop() }
        let port = service.port
        let rpc = RPCClient(host: "127.0.0.1", port: port)
        let admin = try await Self.signIn(rpc, "admin", Self.adminPassword)
        let leads = LeadsV1.Leads.Client(rpc)
        _ = try await LeadsV1.Directory.Client(rpc).createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "agent", name: "Agent", email: "agent@example.com", role: .agent, active: true), password: "agent-password-1"), options: admin)
        let agent = try await Self.signIn(rpc, "agent", "agent-password-1")
        // Leads as big as the limits allow (400 KB each), so that a page of them is ~2 MB.
        let products = (0..<50).map { LeadsV1.ProductInterest(product: "p\($0)", quantity: 1, notes: String(repeating: "𝒜", count: 2_000)) }
        var probe: Int64 = 0
        for i in 0..<40 {
            probe = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Big \(i)", products: products)), options: admin).id
        }
        let honest = HonestClient(port: port, leadID: probe, options: admin)
        let idle = try await honest.measure(for: 3)
        let idleRSS = service.rss()
        let limit = 10 * idle.p99

        var rows: [String] = []
        let attacks: [(String, @Sendable () async throws -> Void)] = [
            ("pipelined ListLeads of ~2 MB, answers never read", { try await Attacks.nonReading(port: port, token: admin.metadata.authorization, calls: 1_150) }),
            ("50 connections holding a 4 MiB - 1 partial frame", { try await Attacks.partialFrames(port: port, connections: 50) }),
            ("huge text: 1,000,000 combining marks in a name", { try await Attacks.hugeText(rpc, agent, count: 20) }),
            ("4 creates of 270,000 e-mails each", { try await Attacks.manyEmails(port: port, token: agent.metadata.authorization, count: 4) }),
            ("8 dry-run imports of 5,000 rows at once, repeated", { try await Attacks.imports(rpc, agent, rounds: 3) }),
            ("300 wrong-password sign-ins at once (another address)", { try await Attacks.wrongPasswords(port: port, count: 300) }),
        ]
        for (name, attack) in attacks {
            let before = service.rss()
            let monitor = RSSMonitor(pid: service.process.processIdentifier)
            let watching = Task { try await honest.measure(for: seconds) }
            let attacking = Task { try await attack() }
            let under = try await watching.value
            _ = try? await attacking.value
            attacking.cancel()
            let peak = monitor.stop()
            try await Task.sleep(for: .seconds(2))
            let after = service.rss()
            rows.append("| \(name) | \(Self.ms(under.p99)) | \(Self.ms(under.worst)) (\(under.worst <= limit ? "met" : "not met")) | \(Self.ms(under.login)) (\(under.login <= 1 ? "met" : "not met")) | \(Self.mb(peak)) (\(peak < 256 << 20 ? "met" : "not met")) | \(Self.mb(after)) (\(Double(after) <= Double(idleRSS) * 1.25 ? "met" : "not met"); before \(Self.mb(before))) |")
        }
        await honest.close()
        await rpc.close()
        let table = """
            | attack | honest p99 | honest worst (<= 10x idle p99 = \(Self.ms(limit))) | sign-in worst (<= 1 s) | RSS peak (< 256 MB) | RSS after (within 25% of \(Self.mb(idleRSS))) |
            |---|---|---|---|---|---|
            \(rows.joined(separator: "\n"))

            """
        let context = "crm-leads (release) as its own process on loopback with 40 leads of 400 KB; each attack \(Int(seconds)) s from loopback while an honest client calls Health and GetLead in turn and signs in once a second from 127.0.0.1 (the attacks' sign-ins come from 127.0.0.2). Idle: Health/GetLead p99 \(Self.ms(idle.p99)), RSS \(Self.mb(idleRSS))."
        return (table, context)
    }

    static func signIn(_ rpc: RPCClient, _ login: String, _ password: String) async throws -> CallOptions {
        let response = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: login, password: password))
        return CallOptions(timeout: .seconds(60), metadata: Metadata(authorization: "Bearer \(response.token)"))
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1_000) }
    static func mb(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
}

/// crm-leads of this build as a child process.
final class LeadsProcess: Sendable {
    let process: Process
    let port: Int

    init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(folder: URL) async throws -> LeadsProcess {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("crm-leads")
        let port = try freePort()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--listen", "127.0.0.1:\(port)", "--password-rounds", "100000", "--log-level", "error"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "CRM_AUTH_SECRET": StressBench.secret, "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path,
            "CRM_ADMIN_PASSWORD": StressBench.adminPassword,
        ]) { $1 }
        process.standardError = FileHandle.nullDevice
        try process.run()
        let service = LeadsProcess(process: process, port: port)
        for _ in 0..<300 {
            let rpc = RPCClient(host: "127.0.0.1", port: port)
            if (try? await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest())) != nil {
                await rpc.close()
                return service
            }
            await rpc.close()
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw BenchError("crm-leads did not start on port \(port)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Resident memory now, from /proc.
    func rss() -> Int { ProcessStats.rss(process.processIdentifier) }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// What /proc says of a process.
enum ProcessStats {
    /// Resident memory, in bytes (0 once it is gone).
    static func rss(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }

    /// User and system CPU time so far, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // After "pid (comm) ": state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Samples a process's resident memory every 50 ms until stopped; keeps the peak.
final class RSSMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var running = true

    init(pid: Int32) {
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let now = ProcessStats.rss(pid)
                lock.withLock { peak = max(peak, now) }
                usleep(50_000)
            }
        }
    }

    func stop() -> Int {
        lock.withLock {
            running = false
            return peak
        }
    }
}

/// Health and GetLead in turn on a connection of its own, and a sign-in a second.
struct HonestClient: Sendable {
    let rpc: RPCClient
    let leadID: Int64
    let options: CallOptions
    let port: Int

    init(port: Int, leadID: Int64, options: CallOptions) {
        self.port = port
        self.rpc = RPCClient(host: "127.0.0.1", port: port)
        self.leadID = leadID
        self.options = options
    }

    struct Measured {
        var p99: Double
        var worst: Double
        var login: Double
    }

    func measure(for seconds: Double) async throws -> Measured {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        var samples: [Double] = []
        var login = 0.0
        var lastLogin = ContinuousClock.now - .seconds(2)
        while ContinuousClock.now < end {
            if ContinuousClock.now - lastLogin >= .seconds(1) {
                lastLogin = .now
                let signIn = RPCClient(host: "127.0.0.1", port: port)
                // A refused sign-in is a failed one: it counts as 99 s.
                let signedIn = (try? await LeadsV1.Auth.Client(signIn).login(LeadsV1.LoginRequest(login: "admin", password: StressBench.adminPassword))) != nil
                login = max(login, signedIn ? (ContinuousClock.now - lastLogin).seconds : 99)
                await signIn.close()
            }
            let start = ContinuousClock.now
            _ = try await RpcV1.Health.Client(rpc).check(RpcV1.HealthCheckRequest())
            samples.append((ContinuousClock.now - start).seconds)
            let get = ContinuousClock.now
            _ = try await LeadsV1.Leads.Client(rpc).getLead(LeadsV1.GetLeadRequest(id: leadID), options: options)
            samples.append((ContinuousClock.now - get).seconds)
            try await Task.sleep(for: .milliseconds(10))
        }
        samples.sort()
        return Measured(p99: samples[min(samples.count - 1, samples.count * 99 / 100)], worst: samples.last ?? 0, login: login)
    }

    func close() async { await rpc.close() }
}

/// The attacks, each as a client that knows the protocol would make it.
enum Attacks {
    /// A raw connection, optionally from another loopback address.
    static func connect(port: Int, from source: String? = nil) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func frame(id: UInt64, method: String, token: String = "", body: [UInt8]) throws -> [UInt8] {
        let header = try RpcV1.RequestHeader(callId: id, kind: .open, method: method, authorization: token).serializedBytes()
        var bytes: [UInt8] = []
        for v in [UInt32(4 + header.count + body.count), UInt32(header.count)] { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        return bytes + header + body
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    static func nonReading(port: Int, token: String, calls: Int) async throws {
        let fd = connect(port: port)
        defer { close(fd) }
        let body = try LeadsV1.ListLeadsRequest(pageSize: 500).serializedBytes()
        var bytes: [UInt8] = []
        for id in 1...calls { bytes += try frame(id: UInt64(id), method: LeadsV1.Leads.Method.listLeads.path, token: token, body: body) }
        send(fd, bytes)
        try await Task.sleep(for: .seconds(4))
    }

    static func partialFrames(port: Int, connections: Int) async throws {
        let limit = 4 * 1024 * 1024
        var fds: [Int32] = []
        for _ in 0..<connections {
            let fd = connect(port: port)
            let length = UInt32(limit - 1)
            send(fd, [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), 0, 0, 0, 8] + [UInt8](repeating: 1, count: limit - 100))
            fds.append(fd)
        }
        try await Task.sleep(for: .seconds(4))
        for fd in fds { close(fd) }
    }

    static func hugeText(_ rpc: RPCClient, _ agent: CallOptions, count: Int) async throws {
        let name = "a" + String(repeating: "\u{301}", count: 1_000_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { _ = try? await LeadsV1.Leads.Client(rpc).createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name)), options: agent) }
            }
            try await group.waitForAll()
        }
    }

    static func manyEmails(port: Int, token: String, count: Int) async throws {
        let body = try LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Many", emails: Array(repeating: "x@example.com", count: 270_000))).serializedBytes()
        var fds: [Int32] = []
        for _ in 0..<count {
            let fd = connect(port: port)
            send(fd, try frame(id: 1, method: LeadsV1.Leads.Method.createLead.path, token: token, body: body))
            fds.append(fd)
        }
        try await Task.sleep(for: .seconds(2))
        for fd in fds { close(fd) }
    }

    static func imports(_ rpc: RPCClient, _ agent: CallOptions, rounds: Int) async throws {
        let csv = Array(("full_name,emails,company\n" + (0..<5_000).map { "Lead \($0),l\($0)@example.com,Company \($0) " + String(repeating: "x", count: 500) + "\n" }.joined()).utf8)
        for _ in 0..<rounds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { _ = try? await LeadsV1.Leads.Client(rpc).importLeads(LeadsV1.ImportLeadsRequest(csv: csv, dryRun: true), options: agent) }
                }
                try await group.waitForAll()
            }
        }
    }

    static func wrongPasswords(port: Int, count: Int) async throws {
        var fds: [Int32] = []
        for i in 0..<count {
            let fd = connect(port: port, from: "127.0.0.2")
            let body = try LeadsV1.LoginRequest(login: "guess\(i % 50)", password: "not-the-password").serializedBytes()
            send(fd, try frame(id: UInt64(i + 1), method: LeadsV1.Auth.Method.login.path, body: body))
            fds.append(fd)
        }
        try await Task.sleep(for: .seconds(3))
        for fd in fds { close(fd) }
    }
}
