import GRDB

/// A lead about to be created, with what the writer would otherwise compute while every other
/// write waits: its column values and its creation history. Built off the writer (on the
/// caller's task, or on the blocking pool for an import), so the single writer only binds and
/// steps.
struct NewLead: Sendable {
    let record: LeadRecord
    let values: [DatabaseValue]
    /// The creation's changes (every field from empty), encoded for the history table.
    let history: String

    init(_ record: LeadRecord) {
        self.record = record
        values = record.columnValues
        history = LeadStore.encode(LeadDiff.changes(from: LeadRecord(), to: record))
    }
}
