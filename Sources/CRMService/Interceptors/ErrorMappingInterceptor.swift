import CRMDomain
import CRMRPC
import GRDB
import Logging

/// An error that knows the status it becomes on the wire (grpc-swift's `RPCErrorConvertible`).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension DomainError: RPCErrorConvertible {
    public var rpcError: RPCError { RPCError(self) }
}

/// Turns whatever a handler throws into the call's status: an `RPCError` as it is, a business
/// rule's refusal into its code, a busy database into UNAVAILABLE; anything else is a bug or
/// a fault, answered INTERNAL without details and logged at error level with its cause, the
/// method and the trace id, never swallowed.
public struct ErrorMappingInterceptor: ServerInterceptor {
    public init() {}

    public func intercept<Output: Sendable>(
        context: ServerContext,
        next: @Sendable (ServerContext) async throws -> Output
    ) async throws -> Output {
        do {
            return try await next(context)
        } catch {
            throw Self.rpcError(error, context: context)
        }
    }

    /// The status `error` becomes; logs it when it was unexpected.
    public static func rpcError(_ error: any Error, context: ServerContext) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as any RPCErrorConvertible: return error.rpcError
        case is CancellationError: return RPCError(.cancelled, "the call was cancelled")
        case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED:
            return RPCError(.unavailable, "the database is busy; try again")
        default:
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return RPCError(.internal, "internal error (logged by the service with trace id \(context.metadata.traceID.isEmpty ? "none" : context.metadata.traceID))")
        }
    }
}
