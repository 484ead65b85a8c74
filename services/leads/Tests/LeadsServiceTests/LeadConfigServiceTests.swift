import CRMAPI
import CRMRPC
import CRMWire
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("LeadConfig over RPC", .timeLimit(.minutes(3)))
struct LeadConfigServiceTests {
    @Test("a new database answers the seeded configuration to any role")
    func seeded() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let config = try await LeadsV1.LeadConfig.Client(service.client).getConfiguration(LeadsV1.GetConfigurationRequest(), options: admin)
        #expect(config.statuses.count == 8)
        #expect(config.types.map(\.name) == ["Standard", "Energy supply"])
        #expect(config.definitions.filter(\.active).count == 1)
        #expect(config.customFields.first { $0.key == "tariff" }?.choices == ["2.0TD", "3.0TD", "6.1TD"])
        let sources = try await LeadsV1.LeadConfig.Client(service.client).listCatalog(LeadsV1.ListCatalogRequest(kind: .sourceType), options: admin)
        #expect(sources.items.map(\.name).contains("Web form"))
        await service.stop()
    }

    @Test("statuses and types are created and changed with versions; bad ones are refused naming the field")
    func saveTypes() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let config = LeadsV1.LeadConfig.Client(service.client)
        let status = try await config.saveStatus(LeadsV1.SaveStatusRequest(status: LeadsV1.LeadStatus(name: "Callback", state: .pending, active: true)), options: admin)
        #expect(status.id > 8 && status.version == 1)
        let renamed = try await config.saveStatus(LeadsV1.SaveStatusRequest(status: LeadsV1.LeadStatus(id: status.id, name: "Call back", state: .pending, active: true, version: 1)), options: admin)
        #expect(renamed.name == "Call back" && renamed.version == 2)
        let stale = await #expect(throws: RPCError.self) {
            try await config.saveStatus(LeadsV1.SaveStatusRequest(status: LeadsV1.LeadStatus(id: status.id, name: "Old", state: .pending, active: true, version: 1)), options: admin)
        }
        #expect(stale?.code == .aborted)

        var type = LeadsV1.LeadType(
            name: "Partner deal", statusIds: [1, status.id, 3, 6, 7, 8], initialStatusId: 1,
            transitions: [LeadsV1.StatusTransition(fromStatusId: 1, toStatusId: status.id)], defaultPriority: 5, defaultImportance: 4, active: true)
        let saved = try await config.saveLeadType(LeadsV1.SaveLeadTypeRequest(leadType: type), options: admin)
        #expect(saved.statusIds.contains(status.id))

        type.name = "Partner deal, broken"
        type.transitions.append(LeadsV1.StatusTransition(fromStatusId: status.id, toStatusId: 3))
        type.initialStatusId = 3
        let bad = await #expect(throws: RPCError.self) { try await config.saveLeadType(LeadsV1.SaveLeadTypeRequest(leadType: type), options: admin) }
        #expect(bad?.code == .invalidArgument)
        #expect(Set(bad?.violations.map(\.field) ?? []) == ["lead_type.initial_status_id", "lead_type.transitions[1]"])
        await service.stop()
    }

    @Test("only admins change the configuration; each change is an event")
    func rolesAndEvents() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        _ = try await service.directory.createUser(LeadsV1.CreateUserRequest(
            user: LeadsV1.UserInput(login: "mgr", name: "Manager", email: "mgr@example.com", role: .salesManager, active: true),
            password: "manager-password"), options: admin)
        let manager = try await service.signedIn("mgr", password: "manager-password")
        let config = LeadsV1.LeadConfig.Client(service.client)
        let denied = await #expect(throws: RPCError.self) {
            try await config.saveCatalogItem(LeadsV1.SaveCatalogItemRequest(item: LeadsV1.CatalogItem(kind: .competitor, name: "Acme", active: true)), options: manager)
        }
        #expect(denied?.code == .permissionDenied)
        let acme = try await config.saveCatalogItem(LeadsV1.SaveCatalogItemRequest(item: LeadsV1.CatalogItem(kind: .competitor, name: "Acme", active: true)), options: admin)
        let duplicate = await #expect(throws: RPCError.self) {
            try await config.saveCatalogItem(LeadsV1.SaveCatalogItemRequest(item: LeadsV1.CatalogItem(kind: .competitor, name: "ACME", active: true)), options: admin)
        }
        #expect(duplicate?.violations.first?.field == "item.name")
        let events = try await service.events().filter { $0.type == .configurationChanged }
        #expect(events.map(\.entityId) == [acme.id])
        await service.stop()
    }

    @Test("definitions: saving never activates; ActivateDefinition switches exactly one")
    func definitions() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let config = LeadsV1.LeadConfig.Client(service.client)
        let energyOnly = try await config.saveDefinition(LeadsV1.SaveDefinitionRequest(definition: LeadsV1.LeadDefinition(
            name: "Energy campaign", allowedTypeIds: [2], defaultTypeId: 2, convertOnWin: true, defaultPriority: 7, defaultImportance: 4, active: true)), options: admin)
        #expect(!energyOnly.active)
        let active = try await config.activateDefinition(LeadsV1.ActivateDefinitionRequest(id: energyOnly.id, version: energyOnly.version), options: admin)
        #expect(active.active)
        let all = try await config.getConfiguration(LeadsV1.GetConfigurationRequest(), options: admin).definitions
        #expect(all.filter(\.active).map(\.id) == [energyOnly.id])

        let labels = await #expect(throws: RPCError.self) {
            try await config.setLevelLabels(LeadsV1.SetLevelLabelsRequest(priorityLabels: [LeadsV1.LevelLabel(level: 1, label: "Only", supported: true)]), options: admin)
        }
        #expect(labels?.violations.map(\.field).contains("priority_labels") == true)

        let key = await #expect(throws: RPCError.self) {
            try await config.saveCustomField(LeadsV1.SaveCustomFieldRequest(field: LeadsV1.CustomFieldDefinition(
                id: 1, key: "cups2", label: "CUPS", type: .text, leadTypeIds: [2], active: true, version: 1)), options: admin)
        }
        #expect(key?.violations.map(\.field) == ["field.key"])
        await service.stop()
    }
}
