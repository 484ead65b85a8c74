/// Every tag a template may use: the lead's fields, its owner and assignee, the sender, today,
/// and one tag per custom field of the lead configuration (`#lead.custom.<key>`).
public struct TagCatalogue: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var description: String
        public var example: String
    }

    public let entries: [Entry]
    private let names: Set<String>

    /// The fixed tags, and those of `customFields` (key, label).
    public init(customFields: [(key: String, label: String)]) {
        var entries = Self.fixed.map { Entry(name: $0.0, description: $0.1, example: $0.2) }
        for field in customFields.sorted(by: { $0.key < $1.key }) {
            entries.append(Entry(name: "#lead.custom.\(field.key)", description: "The custom field \(field.label)", example: "(the lead's \(field.label))"))
        }
        self.entries = entries
        self.names = Set(entries.map(\.name))
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// A catalogue tag close to `name` (one edit away, or the same after the last dot).
    public func suggestion(for name: String) -> String? {
        let last = name.split(separator: ".").last.map(String.init) ?? name
        return entries.map(\.name).first { $0.hasSuffix("." + last) } ?? entries.map(\.name).first { Self.distance($0, name) <= 2 }
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard abs(a.count - b.count) <= 2 else { return 3 }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    public static let fixed: [(String, String, String)] = [
        ("#lead.id", "The lead's number", "1042"),
        ("#lead.full_name", "The person's full name", "Ana Pérez"),
        ("#lead.first_name", "The first word of the full name", "Ana"),
        ("#lead.company", "The company", "Acme Iberia"),
        ("#lead.email", "The primary e-mail", "ana@acme.example"),
        ("#lead.phone", "The primary phone", "+34600111222"),
        ("#lead.country", "The country (ISO code)", "ES"),
        ("#lead.region", "The region", "Madrid"),
        ("#lead.province", "The province", "Madrid"),
        ("#lead.postal_code", "The postal code", "28001"),
        ("#lead.location", "The address or place", "Calle Mayor 1"),
        ("#lead.campaign", "The campaign it came from", "Verano"),
        ("#lead.channel", "The channel it came through", "Web"),
        ("#lead.source", "Details of the source", "Feria de Madrid"),
        ("#lead.type", "The lead type's name", "Energy supply"),
        ("#lead.status", "The status's name", "Qualifying"),
        ("#lead.state", "The life-cycle state", "in progress"),
        ("#lead.priority", "The priority's label", "High"),
        ("#lead.importance", "The importance's label", "Key account"),
        ("#lead.probability", "The probability to win, in percent", "60%"),
        ("#lead.target_amount", "The target amount with its currency", "1,200.50 EUR"),
        ("#lead.expected_completion", "When the lead is expected to complete", "2026-12-31"),
        ("#lead.contact_on", "When to contact the lead next", "2026-12-04"),
        ("#lead.created", "When the lead was created", "2026-11-23"),
        ("#lead.owner.name", "The owner's name", "Juan García"),
        ("#lead.owner.email", "The owner's e-mail", "juan@crm.example"),
        ("#lead.assignee.name", "The assigned user's name", "Marta Ruiz"),
        ("#lead.assignee.email", "The assigned user's e-mail", "marta@crm.example"),
        ("#sender.name", "The name of the user sending the message", "Marta Ruiz"),
        ("#sender.email", "The e-mail of the user sending the message", "marta@crm.example"),
        ("#today", "Today's date", "2026-12-01"),
        ("#activity.subject", "In a reminder: the activity's subject (empty in other messages)", "Demo for Acme"),
        ("#activity.start", "In a reminder: when the activity starts", "2026-12-02 10:00 UTC"),
        ("#activity.location", "In a reminder: where", "Madrid office"),
        ("#activity.assignee.name", "In a reminder: who does it", "Marta Ruíz"),
    ]
}
