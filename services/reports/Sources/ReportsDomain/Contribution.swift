import CRMDomain

/// What the work report groups by.
public enum WorkGrouping: String, Sendable, Hashable, CaseIterable {
    case type, assignee, status, priority
}

/// What conversion rates group by.
public enum ConversionGrouping: String, Sendable, Hashable, CaseIterable {
    case source, campaign, owner
}

/// One cell of a maintained aggregate. Each lead or work item adds to a few cells; a change
/// takes its old facts' contributions out and puts its new ones in, so that every aggregate
/// report reads a handful of cells instead of scanning leads.
public enum AggregateCell: Sendable, Hashable {
    /// Leads by type and status.
    case typeStatus(typeID: Int64, statusID: Int64)
    /// Leads, target and weighted amounts by life-cycle state and currency ("" for none).
    case pipeline(state: LifecycleState, currency: String)
    /// Leads by a conversion grouping's key, created day and state.
    case conversion(ConversionGrouping, key: String, day: Int64, state: LifecycleState)
    /// Open leads a user is responsible for.
    case openLeads(userID: Int64)
    /// Open leads a user is responsible for by the day they are expected to complete: overdue
    /// at any instant is the days before it (plus the rows of its own day).
    case openDue(userID: Int64, day: Int64)
    /// Work items by kind, grouping key and created day.
    case work(WorkFacts.Kind, WorkGrouping, key: String, day: Int64)
}

/// How much one cell changes.
public struct Contribution: Sendable, Hashable {
    public var cell: AggregateCell
    public var count: Int64
    /// Of `count`, the ones still open (work cells).
    public var open: Int64 = 0
    public var amountMinor: Int64 = 0
    public var weightedMinor: Int64 = 0

    public init(cell: AggregateCell, count: Int64, open: Int64 = 0, amountMinor: Int64 = 0, weightedMinor: Int64 = 0) {
        self.cell = cell
        self.count = count
        self.open = open
        self.amountMinor = amountMinor
        self.weightedMinor = weightedMinor
    }

    var isZero: Bool { count == 0 && open == 0 && amountMinor == 0 && weightedMinor == 0 }

    /// The cells a lead adds to.
    public static func of(_ lead: LeadFacts) -> [Contribution] {
        var cells = [
            Contribution(cell: .typeStatus(typeID: lead.typeID, statusID: lead.statusID), count: 1),
            Contribution(cell: .pipeline(state: lead.state, currency: lead.amountMinor == 0 ? "" : lead.currency), count: 1,
                         amountMinor: lead.amountMinor, weightedMinor: lead.weightedMinor),
            Contribution(cell: .conversion(.source, key: String(lead.sourceTypeID), day: lead.createdDay, state: lead.state), count: 1),
            Contribution(cell: .conversion(.campaign, key: lead.campaign, day: lead.createdDay, state: lead.state), count: 1),
            Contribution(cell: .conversion(.owner, key: String(lead.ownerID), day: lead.createdDay, state: lead.state), count: 1),
        ]
        if lead.state.isOpen && lead.responsibleUserID != 0 {
            cells.append(Contribution(cell: .openLeads(userID: lead.responsibleUserID), count: 1))
            if lead.expectedCompletionAt > 0 {
                cells.append(Contribution(cell: .openDue(userID: lead.responsibleUserID, day: Day.of(lead.expectedCompletionAt)), count: 1))
            }
        }
        return cells
    }

    /// The cells a work item adds to.
    public static func of(_ work: WorkFacts) -> [Contribution] {
        let day = Day.of(work.createdAt)
        var keys: [(WorkGrouping, String)] = [(.type, String(work.typeID)), (.assignee, String(work.assigneeID)), (.status, work.status)]
        if work.kind == .incident { keys.append((.priority, work.priority)) }
        return keys.map { Contribution(cell: .work(work.kind, $0.0, key: $0.1, day: day), count: 1, open: work.isOpen ? 1 : 0) }
    }

    /// The changes that take `old` out and put `new` in (either may be absent: created, deleted),
    /// cells that cancel out left away.
    public static func changes(from old: [Contribution], to new: [Contribution]) -> [Contribution] {
        var totals: [AggregateCell: Contribution] = [:]
        var order: [AggregateCell] = []
        func add(_ c: Contribution, _ sign: Int64) {
            if totals[c.cell] == nil {
                totals[c.cell] = Contribution(cell: c.cell, count: 0)
                order.append(c.cell)
            }
            totals[c.cell]!.count += sign * c.count
            totals[c.cell]!.open += sign * c.open
            totals[c.cell]!.amountMinor += sign * c.amountMinor
            totals[c.cell]!.weightedMinor += sign * c.weightedMinor
        }
        old.forEach { add($0, -1) }
        new.forEach { add($0, 1) }
        return order.compactMap { totals[$0] }.filter { !$0.isZero }
    }
}
