import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import GRDB
import Testing
@testable import LeadsDomain
@testable import LeadsService

/// The write path that keeps the writer lean: contacts keyed by contact (migration v8), and new
/// leads checked off the writer against the configuration as last read.
@Suite("Lead writes: contacts and configuration changes", .timeLimit(.minutes(3)))
struct LeadWritePathTests {
    @Test("a lead's contacts follow its edits, merges and deletion, so duplicates are found only where they are")
    func contactsFollowTheLead() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        func create(_ name: String, _ email: String) async throws -> LeadsV1.Lead {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: name, emails: [email])), options: admin)
        }
        func refused(_ email: String) async -> Bool {
            let error = await #expect(throws: RPCError.self) { _ = try await create("Twin", email) }
            return error?.code == .alreadyExists
        }
        let ana = try await create("Ana", "ana@x.com")
        #expect(await refused("ana@x.com"))
        let edited = try await leads.updateLead(LeadsV1.UpdateLeadRequest(
            id: ana.id, version: ana.version, lead: LeadsV1.LeadInput(emails: ["ana.perez@x.com"]), updateMask: ["emails"]), options: admin)
        #expect(await refused("ana.perez@x.com"))
        let reuse = try await create("Other Ana", "ana@x.com")  // the old address is free again
        #expect(reuse.id != ana.id)

        // A merged-away lead is not reported; the lead it lives on in is.
        _ = try await leads.mergeLeads(LeadsV1.MergeLeadsRequest(
            keepId: edited.id, keepVersion: edited.version, mergeId: reuse.id, mergeVersion: reuse.version), options: admin)
        let found = try await leads.findDuplicates(LeadsV1.FindDuplicatesRequest(emails: ["ana@x.com", "ana.perez@x.com"]), options: admin)
        #expect(Set(found.matches.map(\.leadId)) == [edited.id])

        let bea = try await create("Bea", "bea@x.com")
        _ = try await leads.deleteLead(LeadsV1.LeadActionRequest(id: bea.id, version: bea.version), options: admin)
        #expect(try await create("Bea again", "bea@x.com").fullName == "Bea again")
        await service.stop()
    }

    @Test("a configuration changed after it was last read is the one a new lead is checked against")
    func configurationChangedMeanwhile() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let leads = service.leadsClient
        let config = LeadsV1.LeadConfig.Client(service.client)
        func create(vat: String) async throws -> LeadsV1.Lead {
            try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
                fullName: "Ana", customFields: [LeadsV1.CustomFieldValue(key: "vat", value: .text(vat))])), options: admin)
        }
        // The first create reads the configuration, which has no "vat" field yet.
        let unknown = await #expect(throws: RPCError.self) { _ = try await create(vat: "ESB12345678") }
        #expect(unknown?.violations.map(\.field) == ["lead.custom_fields.vat"])
        let field = try await config.saveCustomField(LeadsV1.SaveCustomFieldRequest(field: LeadsV1.CustomFieldDefinition(
            key: "vat", label: "VAT number", type: .text, pattern: "^[A-Z]{2}[A-Z0-9]{8,12}$", active: true)), options: admin)
        // Checked first against the configuration as last read (without the field), then again
        // in the writer against the committed one: the field is known, and its pattern applies.
        #expect(try await create(vat: "ESB12345678").customFields.map(\.key) == ["vat"])
        _ = try await config.saveCustomField(LeadsV1.SaveCustomFieldRequest(field: LeadsV1.CustomFieldDefinition(
            id: field.id, key: "vat", label: "VAT number", type: .text, pattern: "^[A-Z]{2}[0-9]{9}$", active: true, version: field.version)), options: admin)
        let pattern = await #expect(throws: RPCError.self) { _ = try await create(vat: "ESB12345678") }
        #expect(pattern?.violations.map(\.field) == ["lead.custom_fields.vat"])
        #expect(try await leads.listLeads(LeadsV1.ListLeadsRequest(), options: admin).totalCount == 1)
        await service.stop()
    }

    @Test("a new lead's event, encoded before its id is known, decodes as the event of the stored lead")
    func createdEvent() throws {
        var lead = LeadRecord()
        lead.fullName = "Ana Pérez"
        lead.emails = ["ana@x.com", "ana@y.com"]
        lead.customFields = ["cups": .text("ES0021000000000000AA"), "kwh": .integer(4_200)]
        lead.targetAmount = LeadRecord.Money(amountMinor: 120_050, currency: "EUR")
        lead.priority = 7
        lead.createdAt = 1_700_000_000_000
        for id: Int64 in [1, 300, 1 << 40] {
            var stored = lead
            stored.id = id
            let payload = try CreatedLeadEvent(lead, actor: 9, at: lead.createdAt).payload(id: id)
            #expect(try LeadsV1.LeadEvent(serializedBytes: payload) == .leadChanged(.created, stored, actor: 9, at: lead.createdAt))
        }
    }

    @Test("commits are synced to disk before a call is answered: the writer runs with synchronous = FULL, also when reopened")
    func writerIsDurable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-sync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("leads.sqlite").path
        for _ in 0..<2 {  // a new database, then the same one opened again
            let database = try LeadsDatabase(path: path)
            // GRDB sets NORMAL when it turns WAL on; 2 is FULL.
            #expect(try database.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
            #expect(try database.pool.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
            try database.close()
        }
    }

    @Test("migration v8 keeps every contact of a database written before it, in a table keyed by contact")
    func contactsMigration() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-v8-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Self.database(in: folder, upTo: "v7: one index for the campaign, region and state views") { db in
            var lead = LeadRecord()
            lead.fullName = "Ana"
            lead.emails = ["ana@x.com"]
            lead.phones = ["+34600111222"]
            try db.cachedStatement(sql: LeadColumns.insert).execute(lead.columnValues)
            try db.execute(sql: "INSERT INTO lead_contact (lead_id, kind, value) VALUES (1, 'email', 'ana@x.com'), (1, 'phone', '+34600111222')")
        }
        let database = try LeadsDatabase(path: path)
        defer { try? database.close() }
        try database.pool.read { db in
            #expect(try LeadStore.firstDuplicate(db, keys: [.init(kind: "phone", value: "+34600111222")])?.leadID == 1)
            #expect(try LeadStore.firstDuplicate(db, keys: [.init(kind: "email", value: "ana@x.com")])?.key.kind == "email")
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'lead_contact'") ?? ""
            #expect(sql.contains("WITHOUT ROWID"))
        }
    }

    /// The path of a database in `folder` migrated up to `migration` and no further, holding what
    /// `seed` wrote: a database as an older release left it.
    static func database(in folder: URL, upTo migration: String, seed: @escaping @Sendable (Database) throws -> Void) throws -> String {
        let path = folder.appendingPathComponent("leads.sqlite").path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: path)
        try LeadsDatabase.migrator.migrate(pool, upTo: migration)
        try pool.write { db in try seed(db) }
        try pool.close()
        return path
    }

    /// A lead with every field set to something other than its default.
    static func fullLead() -> LeadRecord {
        var lead = LeadRecord()
        lead.id = 7; lead.fullName = "Ana Pérez"; lead.company = "Sol \"y\" Mar"; lead.emails = ["ana@x.com", "a@y.es"]
        lead.phones = ["+34600111222"]; lead.login = "ana"; lead.partner = "Partner"; lead.location = "Calle 1"; lead.country = "ES"
        lead.region = "Madrid"; lead.province = "Madrid"; lead.postalCode = "28001"; lead.locale = "es_ES"; lead.campaign = "Verano"
        lead.channel = "Web"; lead.sourceTypeID = 2; lead.source = "feria"; lead.typeID = 3; lead.categoryID = 4; lead.statusID = 5
        lead.state = .won; lead.priority = 6; lead.importance = 7; lead.probability = 80
        lead.targetAmount = LeadRecord.Money(amountMinor: 123_456, currency: "EUR"); lead.score = 9; lead.ownerID = 10
        lead.assignedUnitID = 11; lead.assignedUserID = 12; lead.teamUserIDs = [13, 14]; lead.competitorIDs = [15]
        lead.products = [LeadRecord.Product(product: "Luz", quantity: 2, notes: "tarifa 2.0")]; lead.lastContactedAt = 16
        lead.contactOn = 17; lead.startedAt = 18; lead.expectedCompletionAt = 19; lead.completedAt = 20; lead.lostReasonID = 21
        lead.lostToCompetitorID = 22
        lead.customFields = ["cups": .text("ES0021000000000000AA"), "kwh": .integer(5_000), "kw": .decimal("4.6"), "green": .boolean(true),
                             "since": .date(1_700_000_000_000)]
        lead.acceptedAt = 23; lead.imported = true; lead.lastReassignedAt = 24; lead.mergedIntoID = 25
        lead.conversion.accountID = 26; lead.conversion.contactID = 27; lead.conversion.opportunityID = 28
        lead.conversion.convertedAt = 29; lead.conversion.convertedBy = 30
        lead.version = 31; lead.createdBy = 32; lead.createdAt = 33; lead.updatedBy = 34; lead.updatedAt = 35
        return lead
    }

    @Test("a lead read back from the wire is the lead written, field for field (creation history relies on it)")
    func wireRoundTrip() {
        let lead = Self.fullLead()
        #expect(LeadRecord(wire: lead.wire(now: 40, unread: true)) == lead)
        #expect(LeadRecord(wire: LeadRecord().wire(now: 40, unread: false)) == LeadRecord())
    }

    @Test("custom fields are written as Codable would write them, so reads and the list filters' JSON paths see the same values")
    func customFieldsJSON() throws {
        var fields = Self.fullLead().customFields
        fields["note"] = .text("comillas \" barra \\ salto\n tab\t ñ €")
        fields["off"] = .boolean(false)
        fields["negative"] = .integer(-3)
        let text = JSONText.customFields(fields)
        #expect(JSONText.decode(text, [String: LeadRecord.CustomValue]()) == fields)
        #expect(text.hasPrefix(#"{"cups":{"text":{"_0":"ES0021000000000000AA"}}"#))  // keys sorted
        #expect(JSONText.customFields([:]) == "{}")
    }

    @Test("migration v10: a creation's history entry written before it keeps its changes; later ones read them from the event")
    func creationHistoryMigration() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-v10-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try Self.database(in: folder, upTo: "v9: assignment rules cached with the configuration") { db in
            var lead = LeadRecord()
            lead.fullName = "Ana"
            try db.cachedStatement(sql: LeadColumns.insert).execute(lead.columnValues)
            try db.execute(sql: """
                INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason)
                VALUES (1, 'created', 1, 5, '["full_name","","Ana"]', 1, '')
                """)
        }
        let database = try LeadsDatabase(path: path)
        defer { try? database.close() }
        var bea = LeadRecord()
        bea.fullName = "Bea"
        bea.emails = ["bea@x.com"]
        let expected = LeadDiff.changes(from: LeadRecord(), to: bea).map { [$0.field, $0.old, $0.new] }
        let new = try NewLead(bea, actor: 1, at: 6)
        let saved = try await database.write { db in try LeadStore.insert(db, new, rule: DuplicateRule(fields: DuplicateRule.standard), action: "created", actorID: 1) }
        try await database.read { db in
            #expect(try LeadStore.history(db, leadID: 1, after: nil, limit: 10, fingerprint: "").0.map(\.changes) == [[["full_name", "", "Ana"]]])
            let entry = try #require(try LeadStore.history(db, leadID: saved.id, after: nil, limit: 10, fingerprint: "").0.first)
            #expect(entry.changes == expected)
            #expect(entry.changes.contains(["emails", "", "bea@x.com"]))
            // Only the event holds the fields.
            #expect(try String.fetchOne(db, sql: "SELECT changes FROM history WHERE lead_id = ?", arguments: [saved.id]) == "")
        }
    }
}
