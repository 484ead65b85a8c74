/// The configuration a new database starts with, so the system works out of the box; admins
/// change it through LeadConfig. Ids are fixed so the seed is the same on every machine.
public enum DefaultConfiguration {
    public static var value: LeadConfiguration {
        var c = LeadConfiguration()
        c.statuses = [
            LeadStatusRecord(id: 1, name: "New", state: .pending, description: "Just captured, nobody has worked on it"),
            LeadStatusRecord(id: 2, name: "Contacted", state: .pending, description: "First contact made"),
            LeadStatusRecord(id: 3, name: "Qualifying", state: .inProgress, description: "Finding out whether it is a real opportunity"),
            LeadStatusRecord(id: 4, name: "Proposal sent", state: .inProgress, description: "An offer is with the lead"),
            LeadStatusRecord(id: 5, name: "Negotiating", state: .inProgress, description: "Terms are being agreed"),
            LeadStatusRecord(id: 6, name: "Won", state: .won, description: "The lead became a customer"),
            LeadStatusRecord(id: 7, name: "Lost", state: .lost, description: "The lead went elsewhere or gave up"),
            LeadStatusRecord(id: 8, name: "Cancelled", state: .cancelled, description: "Not a lead after all"),
        ]
        let flow = [
            StatusTransition(from: 1, to: 2), StatusTransition(from: 2, to: 1),
            StatusTransition(from: 3, to: 4), StatusTransition(from: 4, to: 5), StatusTransition(from: 5, to: 4), StatusTransition(from: 4, to: 3),
        ]
        c.catalog = [
            CatalogItemRecord(id: 1, kind: .category, name: "Hot"),
            CatalogItemRecord(id: 2, kind: .category, name: "Warm"),
            CatalogItemRecord(id: 3, kind: .category, name: "Cold"),
            CatalogItemRecord(id: 4, kind: .lostReason, name: "Price"),
            CatalogItemRecord(id: 5, kind: .lostReason, name: "Chose a competitor"),
            CatalogItemRecord(id: 6, kind: .lostReason, name: "No budget"),
            CatalogItemRecord(id: 7, kind: .lostReason, name: "No response"),
            CatalogItemRecord(id: 8, kind: .lostReason, name: "Not interested"),
            CatalogItemRecord(id: 9, kind: .competitor, name: "Other provider"),
            CatalogItemRecord(id: 10, kind: .sourceType, name: "Web form"),
            CatalogItemRecord(id: 11, kind: .sourceType, name: "Import"),
            CatalogItemRecord(id: 12, kind: .sourceType, name: "Referral"),
            CatalogItemRecord(id: 13, kind: .sourceType, name: "Phone"),
            CatalogItemRecord(id: 14, kind: .sourceType, name: "Event"),
            CatalogItemRecord(id: 15, kind: .sourceType, name: "Partner"),
        ]
        c.types = [
            LeadTypeRecord(
                id: 1, name: "Standard", description: "Any prospect", statusIDs: Array(1...8), initialStatusID: 1,
                transitions: flow, categoryIDs: [1, 2, 3], defaultPriority: 5, defaultImportance: 4, estimatedCompletionMs: 30 * 86_400_000),
            LeadTypeRecord(
                id: 2, name: "Energy supply", description: "Electricity or gas supply contracts", statusIDs: Array(1...8), initialStatusID: 1,
                transitions: flow, categoryIDs: [1, 2, 3], defaultPriority: 5, defaultImportance: 4, estimatedCompletionMs: 14 * 86_400_000),
        ]
        let priorityNames = ["Lowest", "Very low", "Low", "Below normal", "Normal", "Above normal", "High", "Very high", "Urgent", "Critical"]
        c.priorityLabels = priorityNames.enumerated().map { LevelLabel(level: Int32($0.offset + 1), label: $0.element, supported: true) }
        let importanceNames = ["Minimal", "Low", "Moderate", "Normal", "Notable", "High", "Very high", "Key account"]
        c.importanceLabels = importanceNames.enumerated().map { LevelLabel(level: Int32($0.offset + 1), label: $0.element, supported: true) }
        c.definitions = [
            LeadDefinitionRecord(id: 1, name: "Default", allowedTypeIDs: [1, 2], defaultTypeID: 1, convertOnWin: true, createOpportunityOnWin: false, defaultPriority: 5, defaultImportance: 4, active: true)
        ]
        c.customFields = [
            CustomFieldRecord(id: 1, key: "cups", label: "CUPS (supply point code)", type: .text, leadTypeIDs: [2], pattern: "^ES[0-9]{16}[A-Z]{2}([0-9][FP])?$"),
            CustomFieldRecord(id: 2, key: "tariff", label: "Access tariff", type: .choice, choices: ["2.0TD", "3.0TD", "6.1TD"], leadTypeIDs: [2]),
            CustomFieldRecord(id: 3, key: "annual_consumption_kwh", label: "Annual consumption (kWh)", type: .integer, leadTypeIDs: [2]),
            CustomFieldRecord(id: 4, key: "contracted_power_kw", label: "Contracted power (kW)", type: .decimal, leadTypeIDs: [2]),
        ]
        return c
    }
}
