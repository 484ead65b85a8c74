import ArgumentParser
import CRMRPC
import Foundation

/// A failure told as a sentence, with an exit code that says what kind it was.
struct CLIFailure: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case failed = 1, notFound = 2, notAllowed = 3, unavailable = 4, usage = 64
    }

    var kind: Kind
    var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A service's refusal: its status, its message and each field at fault.
    init(_ error: RPCError) {
        switch error.code {
        case .invalidArgument, .failedPrecondition, .alreadyExists, .aborted, .outOfRange: kind = .usage
        case .notFound: kind = .notFound
        case .permissionDenied, .unauthenticated: kind = .notAllowed
        case .unavailable, .deadlineExceeded: kind = .unavailable
        default: kind = .failed
        }
        var text = "\(Self.name(of: error.code)): \(error.message)"
        for violation in error.violations { text += "\n  - \(violation.field): \(violation.description)" }
        if error.code == .unauthenticated { text += "\n  (run `crm login`)" }
        description = text
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
