import CRMService
import CRMWire
import CommsDomain
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: takes the messages that are due, hands each to the transport, and
/// records SENT, RETRYING (with exponential backoff and jitter) or FAILED, each with its event.
/// A message left SENDING by a stop is due again at once when the service is back, with the
/// same Message-ID and file name. Woken by every commit (a Send) and by the next due time.
final class DeliveryWorker: Service, Sendable {
    let database: ServiceDatabase
    let transport: any MailTransport
    let policy: RetryPolicy
    let fromAddress: String
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// Puts a delivered message in its lead's history (crm-leads).
    let record: @Sendable (LeadsV1.RecordMessageRequest) async throws -> Void
    /// Queues the reminders due at a time (nil: none are kept).
    let reminders: (@Sendable (Int64) async throws -> Void)?

    init(database: ServiceDatabase, transport: any MailTransport, policy: RetryPolicy, fromAddress: String, logger: Logger,
         clock: @escaping @Sendable () -> Int64, record: @escaping @Sendable (LeadsV1.RecordMessageRequest) async throws -> Void,
         reminders: (@Sendable (Int64) async throws -> Void)? = nil) {
        self.record = record
        self.reminders = reminders
        self.database = database
        self.transport = transport
        self.policy = policy
        self.fromAddress = fromAddress
        self.logger = logger
        self.clock = clock
    }

    /// Set by every commit (a Send, a retry): the outbox is worth a look.
    private let woken = Atomic<Bool>(true)

    func run() async throws {
        let (id, wakeups) = database.commits.subscribe()
        let listener = Task { [self] in
            for await _ in wakeups { woken.store(true, ordering: .relaxed) }
        }
        defer {
            listener.cancel()
            database.commits.unsubscribe(id)
        }
        do {
            try await cancelWhenGracefulShutdown { try await self.loop() }
        } catch is CancellationError {
            return  // shutdown: what is due stays due, and is delivered on the next start
        }
    }

    private func loop() async throws {
        while !Task.isCancelled {
            woken.store(false, ordering: .relaxed)
            if try await deliverDue() > 0 { continue }
            let now = clock()
            let next = try await database.read { db in [try MessageStore.nextDue(db), try ReminderStore.nextDue(db, now: now)].compactMap { $0 }.min() }
            // Sleep until the next message falls due or a commit comes, in short steps.
            let until = clock() + min(next.map { max(0, $0 - clock()) } ?? 60_000, 60_000)
            while clock() < until && !woken.load(ordering: .relaxed) {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Delivers what is due now; returns how many were tried. Then records the delivered ones
    /// in their leads' histories (those crm-leads could not take before are tried again; the
    /// idempotency key keeps each to one entry).
    func deliverDue() async throws -> Int {
        let now = clock()
        if let reminders { try await reminders(now) }
        let due = try await database.read { db in try MessageStore.due(db, now: now, limit: 64) }
        // Several at once: their status writes share group commits, and the transport's waits overlap.
        try await Self.concurrently(due, width: Self.width) { message in try await self.deliver(message) }
        try await recordDelivered()
        return due.count
    }

    /// How many messages are delivered (and recorded) at once.
    static let width = 8

    /// Runs `body` for each item, at most `width` at a time.
    static func concurrently<Item: Sendable>(_ items: [Item], width: Int, _ body: @escaping @Sendable (Item) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = items.makeIterator()
            for _ in 0..<width { if let item = next.next() { group.addTask { try await body(item) } } }
            while try await group.next() != nil {
                if let item = next.next() { group.addTask { try await body(item) } }
            }
        }
    }

    func recordDelivered() async throws {
        let unrecorded = try await database.read { db in try MessageStore.unrecorded(db, limit: 64) }
        try await Self.concurrently(unrecorded, width: Self.width) { m in
            do {
                try await self.record(LeadsV1.RecordMessageRequest(leadId: m.leadID, messageId: m.id, subject: m.subject, to: m.recipient, sentAt: m.sentAt, senderId: m.createdBy))
            } catch {
                // crm-leads is not answering: tried again on the next round.
                self.logger.notice("the lead's history could not take a delivered message yet", metadata: ["message": "\(m.id)", "error": "\(error)"])
                return
            }
            try await self.database.write { db in try MessageStore.markRecorded(db, id: m.id) }
        }
    }

    private func deliver(_ message: MessageRecord) async throws {
        var m = message
        m.status = .sending
        m.attempts += 1
        let sending = m
        try await database.write { db in try MessageStore.updateDelivery(db, sending) }
        let bytes = MailComposer.compose(m, from: fromAddress, date: Date(timeIntervalSince1970: Double(clock()) / 1000))
        let now: Int64
        do {
            try await transport.deliver(bytes, message: m)
            now = clock()
            m.status = .sent
            m.sentAt = now
            m.lastError = ""
            m.nextAttemptAt = 0
        } catch {
            now = clock()
            let permanent: Bool
            if case DeliveryError.permanent = error { permanent = true } else { permanent = false }
            m.lastError = "\(error)"
            if !permanent, let delay = policy.delay(afterAttempts: m.attempts, jitter: Double.random(in: 0...1)) {
                m.status = .retrying
                m.nextAttemptAt = now + delay
            } else {
                m.status = .failed
                m.nextAttemptAt = 0
            }
            logger.warning("delivery failed", metadata: ["message": "\(m.id)", "attempt": "\(m.attempts)", "error": "\(error)", "status": "\(m.status.rawValue)"])
        }
        let done = m
        try await database.write { db in
            try MessageStore.updateDelivery(db, done)
            try CommsEvents.append(db, .deliveryChanged, done, at: now)
        }
    }
}
