import CRMRPC
import Foundation
import Testing
@testable import crm

/// `crm`'s exit code for every status a service can answer, as the README's table gives them.
@Suite("crm's exit codes", .timeLimit(.minutes(1)))
struct ExitCodeTests {
    static let table: [(RPCError.Code, Int32)] = [
        (.ok, 1), (.cancelled, 1), (.unknown, 1), (.internal, 1), (.dataLoss, 1), (.unimplemented, 1),
        (.notFound, 2),
        (.permissionDenied, 3), (.unauthenticated, 3),
        (.unavailable, 4), (.deadlineExceeded, 4), (.resourceExhausted, 4),
        (.failedPrecondition, 5), (.alreadyExists, 5), (.aborted, 5),
        (.invalidArgument, 64), (.outOfRange, 64),
    ]

    @Test("every status has the exit code of the README's table")
    func everyStatus() {
        #expect(Set(Self.table.map(\.0.protoValue)) == Set(RPCError.Code.allCases.map(\.protoValue)), "a status is missing from the table")
        for (code, exit) in Self.table {
            #expect(CLIFailure(RPCError(code, "x")).kind.rawValue == exit, "\(code.name)")
        }
    }

    @Test("the README's table says the same")
    func readme() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        for (code, exit) in Self.table where code != .ok {
            let line = readme.split(separator: "\n").first { $0.hasPrefix("| \(exit) |") }
            #expect(line?.contains("`\(code.name)`") == true, "README: exit \(exit) does not list \(code.name)")
        }
    }
}
