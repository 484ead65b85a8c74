import CRMWire
import Foundation
import Testing
@testable import crm

/// What people read: history with names, local times and amounts; filters by name.
@Suite("crm shows names, local times and amounts, and takes names in filters", .timeLimit(.minutes(1)))
struct ReadableOutputTests {
    let names: Names = {
        var n = Names()
        n.statuses = [1: "New", 3: "Qualifying"]
        n.types = [2: "Energy supply"]
        n.catalog = [4: "Price", 9: "Other provider"]
        n.users = [4: "juan", 7: "ana"]
        n.units = [2: "Madrid"]
        n.customTypes = ["visit_on": .date, "cups": .text]
        return n
    }()

    @Test("a history change shows the field without its id suffix, names for ids, amounts and dates")
    func changes() {
        #expect(ChangeText.field("status_id") == "status" && ChangeText.field("competitor_ids") == "competitors")
        #expect(ChangeText.field("assigned_unit_id") == "assigned unit" && ChangeText.field("custom_fields.cups") == "cups")
        #expect(ChangeText.value("status_id", "1", names) == "New" && ChangeText.value("status_id", "3", names) == "Qualifying")
        #expect(ChangeText.value("owner_id", "4", names) == "juan" && ChangeText.value("assigned_unit_id", "2", names) == "Madrid")
        #expect(ChangeText.value("team_user_ids", "4, 7", names) == "juan, ana")
        #expect(ChangeText.value("competitor_ids", "9", names) == "Other provider" && ChangeText.value("lost_reason_id", "4", names) == "Price")
        #expect(ChangeText.value("target_amount", "120050 EUR", names) == "1,200.50 EUR")
        #expect(ChangeText.value("custom_fields.visit_on", "1796083200000", names) == "2026-12-01")
        #expect(ChangeText.value("custom_fields.cups", "ES1", names) == "ES1")
        #expect(ChangeText.value("owner_id", "", names) == "")
        // An id nobody has a name for stays readable as what it is.
        #expect(ChangeText.value("owner_id", "99", names) == "user 99")
    }

    @Test("times are local, with the zone")
    func localTimes() {
        let shown = ChangeText.value("contact_on", "1796083200000", names)
        #expect(shown == showTime(1_796_083_200_000))
        #expect(shown.hasPrefix("2026-1") && shown.split(separator: " ").count == 3, "\(shown)")
    }

    @Test("filters take names (any case) as well as ids; an unknown name is a usage error naming the option")
    func filtersByName() throws {
        var options = try LeadFilterOptions.parse(["--owner", "JUAN,7", "--status", "new", "--assigned-unit", "Madrid", "--type", "Energy supply"])
        let filter = try options.filter(names: names)
        #expect(filter.ownerIds == [4, 7] && filter.statusIds == [1] && filter.assignedUnitIds == [2] && filter.typeIds == [2])
        options = try LeadFilterOptions.parse(["--owner", "pedro"])
        #expect(!options.isEmpty)
        #expect(throws: CLIFailure.self) { try options.filter(names: names) }
        do {
            _ = try options.filter(names: names)
        } catch let failure as CLIFailure {
            #expect(failure.description.contains("--owner") && failure.description.contains("pedro") && failure.description.contains("juan"))
        }
    }
}
