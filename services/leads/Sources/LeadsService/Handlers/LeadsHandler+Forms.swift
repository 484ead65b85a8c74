import LeadsDomain
import CRMDomain
import CRMService
import CRMWire
import GRDB

// A web form's submission stored: a new lead through CreateLead's rules (its duplicates by the
// configured fields, its assignment rules), or a note on the lead it duplicates.
extension LeadsHandler {
    /// What a submission did.
    enum FormSubmissionOutcome: Sendable, Equatable {
        /// A lead was created.
        case created(leadID: Int64)
        /// It duplicated this lead, which got a note with the submission.
        case noted(leadID: Int64)
    }

    /// Stores the submission `values` of `form` (as read when the request came; it is read again
    /// in the transaction, so a form disabled meanwhile creates nothing).
    func submit(_ values: [String: String], to publicID: String) async throws -> FormSubmissionOutcome {
        let now = env.clock.millis()
        return try await env.database.write { db in
            guard let form = try FormStore.form(db, publicID: publicID), form.active else { throw DomainError.notFound("no form \(publicID)") }
            guard let owner = try DirectoryStore.user(db, id: form.ownerID), owner.active else {
                throw DomainError.failedPrecondition("form \(publicID) belongs to a user who can no longer own leads")
            }
            let current = try env.database.configuration.snapshot(db)
            let caller = Caller(userID: owner.id, role: owner.role, unitID: owner.unitID)
            let (lead, message) = try WebFormRules.lead(from: values, form: form, configuration: current.configuration, owner: caller, now: now).get()
            let rule = DuplicateRule(current.configuration)
            let author = "Web form \(form.name)"
            if let match = try LeadStore.firstDuplicate(db, keys: rule.keys(of: lead)) {
                let note = WebFormRules.note(for: values, form: form, configuration: current.configuration, duplicate: true)
                _ = try LeadStore.addNote(db, leadID: match.leadID, authorID: owner.id, authorName: author, text: note, at: now)
                return .noted(leadID: match.leadID)
            }
            let saved = try LeadStore.insert(db, try NewLead(lead, actor: owner.id, at: now), rule: rule, action: "created",
                                             actorID: owner.id, reason: "web form \(form.publicID)")
            _ = try applyRules(db, saved, rules: current.rules, now: now)
            // The visitor's message, as written, is the new lead's first note.
            if !message.isEmpty { _ = try LeadStore.addNote(db, leadID: saved.id, authorID: owner.id, authorName: author, text: message, at: now) }
            return .created(leadID: saved.id)
        }
    }

    /// The forms a page or an index may show: active, and offering the hosted page.
    func form(_ publicID: String) async throws -> (WebFormRecord, LeadConfiguration)? {
        try await env.database.read { db in
            guard let form = try FormStore.form(db, publicID: publicID), form.active else { return nil }
            return (form, try env.database.configuration.load(db))
        }
    }

    func hostedForms() async throws -> [WebFormRecord] {
        try await env.database.read { db in try FormStore.all(db, activeOnly: true).filter(\.hostedPage) }
    }
}
