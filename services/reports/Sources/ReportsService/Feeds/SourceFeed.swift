import CRMAPI
import CRMRPC
import CRMWire
import GRDB

/// One source feed the read model follows: how to read a batch, how to watch, how to apply
/// events, and the names its events do not carry (read again on every connection).
protocol SourceFeed: Sendable {
    associatedtype Event: WireMessage
    /// The source's name, as FeedStatus reports it.
    var source: String { get }
    /// Reads what the events assume (configuration, directory, work types) into the read model.
    func prepare(_ database: ServiceDatabaseWriter, options: CallOptions) async throws
    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [Event], head: Int64)
    func watch(after: Int64, options: CallOptions) -> ResponseStream<Event>
    func sequence(_ event: Event) -> Int64
    /// Applies a batch with the cursor, in one transaction; reads what the batch needs first.
    func apply(_ events: [Event], head: Int64, to database: ServiceDatabaseWriter, options: CallOptions, now: Int64) async throws
}

/// What a feed may do to the database: one write transaction at a time.
struct ServiceDatabaseWriter: Sendable {
    let write: @Sendable (@escaping @Sendable (Database) throws -> Void) async throws -> Void
}
