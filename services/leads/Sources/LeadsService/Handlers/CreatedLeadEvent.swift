import LeadsDomain
import CRMService
import CRMAPI
import CRMWire
import CRMWireFormat
import GRDB

/// The feed event of a new lead, encoded in two steps so that the writer does the small one.
/// The lead is encoded off the writer without its id, which only the insert gives; the writer
/// then writes the event around it and appends the id as one more field. Protobuf parsers merge
/// a message's fields in order, the last value of a scalar winning, so the bytes decode to the
/// event `LeadsV1.LeadEvent.leadChanged(.created, …)` encodes.
struct CreatedLeadEvent: Sendable {
    private let lead: [UInt8]
    private let actor: Int64
    private let at: Int64

    init(_ record: LeadRecord, actor: Int64, at: Int64) throws {
        var wire = record.wire(now: at, unread: false)
        wire.id = 0
        lead = try wire.serializedBytes()
        self.actor = actor
        self.at = at
    }

    /// Appends the event of the lead stored with `id` to the feed and returns its sequence.
    @discardableResult
    func append(_ db: Database, id: Int64) throws -> Int64 {
        try EventOutbox.append(db, type: LeadsV1.LeadEventType.created.protoValue, entityID: id, actorID: actor, at: at, payload: payload(id: id))
    }

    /// The event's bytes for the lead stored with `id` (its sequence is the row's).
    func payload(id: Int64) -> [UInt8] {
        // Field numbers of crm.leads.v1.LeadEvent and of Lead.id.
        var idField = WireWriter()
        idField.writeTag(1, .varint)
        idField.writeVarint(UInt64(bitPattern: id))
        var event = WireWriter()
        event.writeTag(2, .varint)
        event.writeVarint(UInt64(LeadsV1.LeadEventType.created.protoValue))
        event.writeTag(3, .varint)
        event.writeVarint(UInt64(bitPattern: id))
        event.writeTag(4, .varint)
        event.writeVarint(UInt64(bitPattern: at))
        event.writeTag(5, .varint)
        event.writeVarint(UInt64(bitPattern: actor))
        event.writeTag(6, .lengthDelimited)
        event.writeLengthDelimited(lead + idField.bytes)
        return event.bytes
    }
}
