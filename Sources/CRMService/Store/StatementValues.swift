import Foundation
import GRDB

/// The values of a statement's parameters, in order, with every text and blob in one buffer.
/// Built off the writer (a new lead's sixty columns, say), they are bound by pointer: SQLite
/// reads the bytes in place while the statement runs instead of copying each value on bind,
/// and no array of `DatabaseValue`s is boxed, walked and released on the single writer.
public struct StatementValues: Sendable, Equatable {
    enum Slot: Sendable, Equatable {
        case null
        case integer(Int64)
        case real(Double)
        /// Bytes `start..<start + count` of the buffer.
        case text(start: Int, count: Int)
        case blob(start: Int, count: Int)
    }

    private(set) var slots: [Slot] = []
    private(set) var bytes: [UInt8] = []

    /// - Parameters: the number of values and of text and blob bytes to reserve room for.
    public init(capacity: Int = 0, bytes byteCapacity: Int = 0) {
        slots.reserveCapacity(capacity)
        bytes.reserveCapacity(byteCapacity)
    }

    /// The values given, in order: `StatementValues(kind, value, leadID)`.
    public init<each Value: StatementValue>(_ values: repeat each Value) {
        for value in repeat each values { value.append(to: &self) }
    }

    public init(_ values: [DatabaseValue]) {
        self.init(capacity: values.count)
        for value in values { append(value) }
    }

    public var count: Int { slots.count }

    public mutating func append(_ value: Int64) { slots.append(.integer(value)) }
    public mutating func append(_ value: Int32) { slots.append(.integer(Int64(value))) }
    public mutating func append(_ value: Bool) { slots.append(.integer(value ? 1 : 0)) }
    public mutating func append(_ value: Double) { slots.append(.real(value)) }
    public mutating func appendNull() { slots.append(.null) }

    /// A text value, as its UTF-8 bytes (a NUL inside is kept: SQLite is given the length).
    public mutating func append(_ value: String) {
        let start = bytes.count
        bytes.append(contentsOf: value.utf8)
        slots.append(.text(start: start, count: bytes.count - start))
    }

    public mutating func append(blob value: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: value)
        slots.append(.blob(start: start, count: value.count))
    }

    public mutating func append(_ value: DatabaseValue) {
        switch value.storage {
        case .null: appendNull()
        case .int64(let n): append(n)
        case .double(let d): append(d)
        case .string(let s): append(s)
        case .blob(let data): append(blob: [UInt8](data))
        }
    }

    /// Appends the values of `other` after these.
    public mutating func append(contentsOf other: StatementValues) {
        let offset = bytes.count
        bytes.append(contentsOf: other.bytes)
        for slot in other.slots {
            switch slot {
            case .text(let start, let count): slots.append(.text(start: start + offset, count: count))
            case .blob(let start, let count): slots.append(.blob(start: start + offset, count: count))
            default: slots.append(slot)
            }
        }
    }
}

/// A value that binds to one statement parameter.
public protocol StatementValue {
    func append(to values: inout StatementValues)
}

extension Int64: StatementValue {
    public func append(to values: inout StatementValues) { values.append(self) }
}

extension Int32: StatementValue {
    public func append(to values: inout StatementValues) { values.append(self) }
}

extension Bool: StatementValue {
    public func append(to values: inout StatementValues) { values.append(self) }
}

extension Double: StatementValue {
    public func append(to values: inout StatementValues) { values.append(self) }
}

extension String: StatementValue {
    public func append(to values: inout StatementValues) { values.append(self) }
}

extension [UInt8]: StatementValue {
    public func append(to values: inout StatementValues) { values.append(blob: self) }
}
