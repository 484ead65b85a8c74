import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Logging
import Synchronization
import Testing

/// A log handler that keeps what it is given.
final class CapturedLogs: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines = Mutex<[Line]>([])

    func handler(label: String) -> some LogHandler { Handler(store: self) }

    struct Handler: LogHandler {
        let store: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            store.lines.withLock { $0.append(Line(level: event.level, message: event.message.description, metadata: all)) }
        }
    }
}

@Suite("the kit's interceptors", .timeLimit(.minutes(3)))
struct InterceptorTests {
    struct DiskOnFire: Error, CustomStringConvertible {
        var description: String { "the disk is on fire" }
    }

    let method = MethodDescriptor(service: "crm.testing.v1.Echo", method: "Echo", kind: .unary)

    @Test("an unexpected error becomes INTERNAL and is logged at error level with its cause, the method and the trace id")
    func unexpectedErrorLogged() async throws {
        let logs = CapturedLogs()
        let context = ServerContext(method: method, metadata: Metadata(traceID: "trace-42"), logger: Logger(label: "test") { logs.handler(label: $0) })
        let error = await #expect(throws: RPCError.self) {
            let _: Int = try await ErrorMappingInterceptor().intercept(context: context) { _ in throw DiskOnFire() }
        }
        #expect(error?.code == .internal && error?.message.contains("trace-42") == true && error?.message.contains("fire") == false)
        let line = try #require(logs.lines.withLock { $0.first })
        #expect(line.level == .error)
        #expect(line.metadata["error"]?.contains("the disk is on fire") == true)
        #expect(line.metadata["method"] == method.path && line.metadata["trace_id"] == "trace-42")
    }

    @Test("a business rule's refusal becomes its status and is not logged as an error")
    func domainErrorMapped() async throws {
        let logs = CapturedLogs()
        let context = ServerContext(method: method, logger: Logger(label: "test") { logs.handler(label: $0) })
        let error = await #expect(throws: RPCError.self) {
            let _: Int = try await ErrorMappingInterceptor().intercept(context: context) { _ in
                throw DomainError.invalid([Violation("lead.full_name", "is required")])
            }
        }
        #expect(error?.code == .invalidArgument && error?.violations.first?.field == "lead.full_name")
        #expect(logs.lines.withLock { $0.isEmpty })
    }

    @Test("authentication sets the caller once, refuses a missing or forged token, passes Health and the public methods")
    func authentication() async throws {
        let signer = try TokenSigner(secret: String(repeating: "k", count: 40))
        let interceptor = AuthenticationInterceptor(authenticator: Authenticator(signer: signer), publicMethods: ["/crm.leads.v1.Auth/Login"])
        let caller = Caller(userID: 9, role: .agent, unitID: 3)
        let now = WallClock.system.millis()
        let token = signer.sign(TokenSigner.Claims(caller: caller, issuedAt: now, expiresAt: now + 60_000))
        let seen: Caller = try await interceptor.intercept(context: ServerContext(method: method, metadata: Metadata(authorization: "Bearer \(token)"))) { context in
            try context.caller()
        }
        #expect(seen == caller)
        for bad in ["", "Bearer nonsense", "Bearer \(token)x"] {
            let refused = await #expect(throws: RPCError.self) {
                let _: Int = try await interceptor.intercept(context: ServerContext(method: method, metadata: Metadata(authorization: bad))) { _ in 1 }
            }
            #expect(refused?.code == .unauthenticated)
        }
        let health = MethodDescriptor(service: "crm.rpc.v1.Health", method: "Check", kind: .unary)
        let login = MethodDescriptor(service: "crm.leads.v1.Auth", method: "Login", kind: .unary)
        for open in [health, login] {
            let answer: Int = try await interceptor.intercept(context: ServerContext(method: open)) { _ in 1 }
            #expect(answer == 1)
        }
    }

    @Test("the account check refuses a deactivated user within its lifetime and keeps services as they are")
    func accountCheck() async throws {
        let active = Mutex(true)
        let directory = CallerDirectory(lifetime: .milliseconds(50)) { claimed, _ in active.withLock { $0 } ? Caller(userID: claimed.userID, role: .salesManager, unitID: 0) : nil }
        let context = ServerContext(method: method)
        let claimed = Caller(userID: 9, role: .agent, unitID: 3)
        #expect(try await directory.current(claimed, context: context).role == .salesManager)  // the role as stored now
        active.withLock { $0 = false }
        try await Task.sleep(for: .milliseconds(80))
        let refused = await #expect(throws: RPCError.self) { _ = try await directory.current(claimed, context: context) }
        #expect(refused?.code == .unauthenticated)
        let service = Caller(userID: 0, role: .service, unitID: 0)
        #expect(try await directory.current(service, context: context) == service)
    }
}
