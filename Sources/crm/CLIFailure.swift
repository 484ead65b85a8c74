import ArgumentParser
import CRMRPC
import Foundation

/// A failure told as a sentence, with an exit code that says what kind it was.
struct CLIFailure: Error, CustomStringConvertible {
    /// The exit codes, as the README's table gives them.
    enum Kind: Int32 {
        /// Anything else: the service failed (INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED, CANCELLED).
        case failed = 1
        /// NOT_FOUND: no such thing, or not one you may see.
        case notFound = 2
        /// PERMISSION_DENIED or UNAUTHENTICATED.
        case notAllowed = 3
        /// UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED: try again later.
        case unavailable = 4
        /// FAILED_PRECONDITION, ALREADY_EXISTS or ABORTED: not in the state it needs (open work,
        /// a duplicate, a stale version); the request itself was fine.
        case refused = 5
        /// A bad command line, or INVALID_ARGUMENT / OUT_OF_RANGE: the input is wrong.
        case usage = 64
    }

    var kind: Kind
    var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A service's refusal: its status, its message and each field at fault.
    init(_ error: RPCError) {
        kind = Self.kind(of: error.code)
        var text = "\(Self.name(of: error.code)): \(error.message)"
        for violation in error.violations { text += "\n  - \(violation.field): \(violation.description)" }
        if error.code == .unauthenticated { text += "\n  (run `crm login`)" }
        description = text
    }

    /// Every status's exit code (no default: a new status needs a decision).
    static func kind(of code: RPCError.Code) -> Kind {
        switch code {
        case .invalidArgument, .outOfRange: .usage
        case .failedPrecondition, .alreadyExists, .aborted: .refused
        case .notFound: .notFound
        case .permissionDenied, .unauthenticated: .notAllowed
        case .unavailable, .deadlineExceeded, .resourceExhausted: .unavailable
        case .ok, .cancelled, .unknown, .unimplemented, .internal, .dataLoss, .unrecognized: .failed
        }
    }

    static func name(of code: RPCError.Code) -> String {
        switch code {
        case .invalidArgument: "invalid input"
        case .notFound: "not found"
        case .alreadyExists: "already exists"
        case .permissionDenied: "not allowed"
        case .unauthenticated: "not logged in"
        case .failedPrecondition: "not possible now"
        case .aborted: "changed meanwhile"
        case .unavailable: "service unavailable"
        case .deadlineExceeded: "timed out"
        case .resourceExhausted: "too busy or too much"
        default: "failed"
        }
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, printing failures as sentences on stderr and exiting with their code.
    func reporting(_ body: () async throws -> Void) async throws {
        try await reportingFailures(body)
    }
}

/// Runs `body`, printing failures as sentences on stderr and exiting with their code.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CLIFailure {
        FileHandle.standardError.write(Data("crm: \(failure.description)\n".utf8))
        throw ExitCode(failure.kind.rawValue)
    } catch let error as RPCError {
        FileHandle.standardError.write(Data("crm: \(CLIFailure(error).description)\n".utf8))
        throw ExitCode(CLIFailure(error).kind.rawValue)
    }
}
