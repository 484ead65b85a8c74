import LeadsDomain
import CRMService

/// A lead about to be created, with what the writer would otherwise compute while every other
/// write waits: its column values and its creation event. Built off the writer (on the caller's
/// task, or on the blocking pool for an import), so the single writer only binds and steps.
struct NewLead: Sendable {
    let record: LeadRecord
    let values: StatementValues
    /// The event that announces the lead; its history entry reads the lead back from it.
    let event: CreatedLeadEvent

    /// - Throws: when the lead cannot be encoded for the event feed.
    init(_ record: LeadRecord, actor: Int64, at: Int64) throws {
        self.record = record
        values = record.columnValues
        event = try CreatedLeadEvent(record, actor: actor, at: at)
    }
}
