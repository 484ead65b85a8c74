import CRMDomain
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Lead configuration rules", .timeLimit(.minutes(3)))
struct LeadConfigurationTests {
    func fields(_ c: LeadConfiguration) -> Set<String> { Set(c.violations().map(\.field)) }

    @Test("the seeded configuration is consistent and has the seeds' parts")
    func seed() {
        let c = DefaultConfiguration.value
        #expect(c.violations().isEmpty)
        #expect(Set(c.statuses.map(\.state)) == Set(LifecycleState.allCases))
        #expect(c.priorityLabels.count == 10 && c.importanceLabels.count == 8)
        #expect(c.customFields.map(\.key) == ["cups", "tariff", "annual_consumption_kwh", "contracted_power_kw"])
        #expect(c.activeDefinition?.defaultTypeID == 1)
    }

    @Test("a type's initial status must be one of its PENDING statuses; transitions stay within a state")
    func typeRules() {
        var c = DefaultConfiguration.value
        c.types[0].initialStatusID = 3  // Qualifying: IN_PROGRESS
        c.types[0].transitions.append(StatusTransition(from: 2, to: 3))  // PENDING -> IN_PROGRESS
        c.types[0].transitions.append(StatusTransition(from: 1, to: 1))
        c.types[0].statusIDs.append(99)
        #expect(fields(c) == ["lead_type[1].initial_status_id", "lead_type[1].transitions[6]", "lead_type[1].transitions[7]", "lead_type[1].status_ids[8]"])
    }

    @Test("labels need every level once; defaults must stay supported; exactly one definition is active")
    func labelsAndDefinitions() {
        var c = DefaultConfiguration.value
        c.priorityLabels.removeLast()
        c.importanceLabels[3].supported = false  // level 4: the default importance
        c.definitions.append(LeadDefinitionRecord(id: 2, name: "Other", allowedTypeIDs: [2], defaultTypeID: 1, active: true))
        #expect(fields(c).isSuperset(of: ["priority_labels", "lead_type[1].default_importance", "definition[1].default_importance", "definition[2].default_type_id", "definition.active"]))
    }

    @Test("custom fields: key syntax, choices only for CHOICE, a valid pattern, unique keys")
    func customFields() {
        var c = DefaultConfiguration.value
        c.customFields.append(CustomFieldRecord(id: 9, key: "Bad Key", label: "x", type: .integer, choices: ["a"], pattern: "("))
        c.customFields.append(CustomFieldRecord(id: 10, key: "cups", label: "again", type: .choice))
        #expect(fields(c) == ["field[9].key", "field[9].choices", "field[9].pattern", "field[10].choices", "field.key"])
    }
}
