import LeadsDomain
import CRMDomain
import CRMRPC
import CRMService
import CRMWire
import Foundation
import GRDB
import NIOPosix

/// What every handler of the leads service needs.
struct Environment: Sendable {
    let database: LeadsDatabase
    let authenticator: Authenticator
    /// The callers' accounts as stored now: a deactivated or deleted user's token stops
    /// working, and a role or unit change applies, within its lifetime (changes made here are
    /// forgotten at once).
    let accounts: CallerDirectory
    let hasher: PasswordHasher
    /// Password hashing on threads of its own, and the throttle on failed sign-ins.
    let signIn: SignInGuard
    /// CSV imports in progress: two at once, four waiting.
    let imports = WorkLimit("imports", running: 2, waiting: 4)
    let clock: WallClock
    let tokenLifetime: Duration

    /// Runs a handler's body, turning business-rule and storage errors into RPC statuses.
    func run<T>(_ body: () async throws -> T) async throws(RPCError) -> T {
        do {
            return try await body()
        } catch {
            throw Self.rpcError(error)
        }
    }

    static func rpcError(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as DomainError: return RPCError(error)
        case is CancellationError: return RPCError(.cancelled, "the call was cancelled")
        case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED:
            return RPCError(.unavailable, "the database is busy; try again")
        default: return RPCError(.internal, "internal error")
        }
    }

    /// The lead configuration as committed now.
    func configuration() async throws -> LeadConfiguration {
        try await database.read { db in try database.configuration.load(db) }
    }

    /// The lead configuration as last read (read now if it never was): for checks made before
    /// a write, which compares the generation and checks again when it changed.
    func latestConfiguration() async throws -> ConfigurationCache.Snapshot {
        if let latest = database.configuration.latest { return latest }
        return try await database.read { db in try database.configuration.snapshot(db) }
    }

    /// The caller, from the call's token and their account as it stands.
    func caller(_ context: ServerContext) async throws -> Caller {
        try await accounts.current(try authenticator.caller(of: context), context: context)
    }

    /// Reads the accounts `accounts` checks.
    static func accountLookup(_ database: LeadsDatabase) -> CallerDirectory.Lookup {
        { claimed, _ in
            try await database.read { db in
                guard let user = try DirectoryStore.user(db, id: claimed.userID), user.active else { return nil }
                return Caller(userID: user.id, role: user.role, unitID: user.unitID)
            }
        }
    }

    /// Runs CPU-heavy work (parsing an import) on NIO's blocking pool, never on an event loop.
    func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// Runs a mutation in one transaction, honouring the call's idempotency key (the kit's
    /// `TransactionWriter.mutate`: keys bound to caller, method and the request's hash).
    func mutate<Response: WireMessage>(
        _ context: ServerContext,
        caller: Caller,
        _ body: @escaping @Sendable (Database) throws -> Response
    ) async throws -> Response {
        try await database.mutate(context, caller: caller, now: clock.millis(), body)
    }

    /// `mutate`, where the answer is made from what `body` returns by `answer`: after the
    /// commit, off the writer, unless the call has an idempotency key.
    func mutate<Result: Sendable, Response: WireMessage>(
        _ context: ServerContext,
        caller: Caller,
        _ body: @escaping @Sendable (Database) throws -> Result,
        answer: @escaping @Sendable (Result) -> Response
    ) async throws -> Response {
        try await database.mutate(context, caller: caller, now: clock.millis(), body, answer: answer)
    }
}

// The list requests, paged by the kit's cursors (PageCursor.window).
extension LeadsV1.ListLeadsRequest: PagedRequest {}
extension LeadsV1.ListNotesRequest: PagedRequest {}
extension LeadsV1.ListHistoryRequest: PagedRequest {}
extension LeadsV1.ListAssignmentsRequest: PagedRequest {}
extension LeadsV1.ListUsersRequest: PagedRequest {}
extension LeadsV1.ListUnitsRequest: PagedRequest {}
