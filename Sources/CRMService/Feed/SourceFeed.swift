import CRMRPC
import CRMWire

/// One event feed of another service that a service follows into its own store (crm-reports'
/// read model, crm-comms' reminders): how to read a batch, how to watch, where its cursor is,
/// and how a batch is applied with the cursor in one transaction.
public protocol SourceFeed: Sendable {
    associatedtype Event: WireMessage
    /// The source's name, as logs and status reports say it ("crm.leads.v1.Leads").
    var source: String { get }
    /// Reads what the events assume and do not carry (names, configuration), on every connection.
    func prepare(options: CallOptions) async throws
    func list(after: Int64, limit: Int32, options: CallOptions) async throws -> (events: [Event], head: Int64)
    func watch(after: Int64, options: CallOptions) -> ResponseStream<Event>
    func sequence(_ event: Event) -> Int64
    /// The last sequence applied, as stored.
    func applied() async throws -> Int64
    /// Applies a batch (in sequence order) and moves the cursor past it, in one transaction;
    /// events at or below the cursor change nothing.
    func apply(_ events: [Event], head: Int64, options: CallOptions) async throws
    /// Notes the source's head and why following it fails ("" once it works again).
    func note(head: Int64?, error: String) async
}

extension SourceFeed {
    public func prepare(options: CallOptions) async throws {}
    public func note(head: Int64?, error: String) async {}
}
