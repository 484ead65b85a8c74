import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import GRDB

/// Web forms as configuration: `crm.leads.v1.Forms`. Admins change them; managers and admins
/// read them. The submissions themselves come over HTTP (`FormsEndpoint`).
struct FormsHandler: LeadsV1.Forms.ServiceProtocol {
    let env: Environment

    func createForm(request: LeadsV1.CreateFormRequest, context: ServerContext) async throws -> LeadsV1.WebForm {
        let caller = try context.caller()
        try Self.requireAdmin(caller)
        var form = WebFormRecord(request.form ?? LeadsV1.WebForm())
        form.id = 0
        form.version = 1
        form.active = true  // a new form takes submissions; DisableForm turns it off
        if form.ownerID == 0 { form.ownerID = caller.userID }
        let now = env.clock.millis()
        form.createdAt = now
        form.updatedAt = now
        let new = form
        return try await env.mutate(context, caller: caller) { db in
            let saved = try Self.checked(db, new, env: env)
            var stored = saved
            stored.id = try FormStore.save(db, saved)
            return stored.wire
        }
    }

    func updateForm(request: LeadsV1.UpdateFormRequest, context: ServerContext) async throws -> LeadsV1.WebForm {
        let caller = try context.caller()
        try Self.requireAdmin(caller)
        let input = WebFormRecord(request.form ?? LeadsV1.WebForm())
        var v = Violations()
        if input.id <= 0 { v.add("form.id", "must be the id of the form to change") }
        if input.version <= 0 { v.add("form.version", "must be the version you read") }
        try v.check()
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            let current = try Self.existing(db, id: input.id, version: input.version)
            var form = input
            form.version = current.version + 1
            form.createdAt = current.createdAt
            form.updatedAt = now
            if form.ownerID == 0 { form.ownerID = current.ownerID }
            let saved = try Self.checked(db, form, env: env)
            _ = try FormStore.save(db, saved)
            return saved.wire
        }
    }

    func getForm(request: LeadsV1.GetFormRequest, context: ServerContext) async throws -> LeadsV1.WebForm {
        try Self.requireReader(try context.caller())
        let form = try await env.database.read { db in
            request.id != 0 ? try FormStore.form(db, id: request.id) : try FormStore.form(db, publicID: request.publicId.lowercased())
        }
        guard let form else { throw DomainError.notFound(request.id != 0 ? "no form with id \(request.id)" : "no form \(request.publicId)") }
        return form.wire
    }

    func listForms(request: LeadsV1.ListFormsRequest, context: ServerContext) async throws -> LeadsV1.ListFormsResponse {
        try Self.requireReader(try context.caller())
        let forms = try await env.database.read { db in try FormStore.all(db, activeOnly: request.activeOnly) }
        return LeadsV1.ListFormsResponse(forms: forms.map(\.wire))
    }

    func disableForm(request: LeadsV1.DisableFormRequest, context: ServerContext) async throws -> LeadsV1.WebForm {
        let caller = try context.caller()
        try Self.requireAdmin(caller)
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            var form = try Self.existing(db, id: request.id, version: request.version)
            guard form.active else { return form.wire }
            form.active = false
            form.version += 1
            form.updatedAt = now
            _ = try FormStore.save(db, form)
            return form.wire
        }
    }

    // MARK: rules shared by the methods

    static func requireAdmin(_ caller: Caller) throws(DomainError) {
        guard caller.role == .admin else { throw DomainError.permissionDenied("only an admin may change web forms") }
    }

    static func requireReader(_ caller: Caller) throws(DomainError) {
        guard caller.role.seesAllLeads || caller.role == .unitManager else { throw DomainError.permissionDenied("web forms are for managers and admins") }
    }

    /// The stored form `id`, which must be at `version`.
    private static func existing(_ db: Database, id: Int64, version: Int64) throws -> WebFormRecord {
        guard let form = try FormStore.form(db, id: id) else { throw DomainError.notFound("no form with id \(id)") }
        guard form.version == version else { throw DomainError.stale("form \(id) is at version \(form.version), not \(version): read it again") }
        return form
    }

    /// `form` normalised and checked against the configuration, its owner and the other forms.
    private static func checked(_ db: Database, _ form: WebFormRecord, env: Environment) throws -> WebFormRecord {
        var form = form
        var v = Violations()
        WebFormRules.check(&form, configuration: try env.database.configuration.load(db), prefix: "form", into: &v)
        if let owner = try DirectoryStore.user(db, id: form.ownerID) {
            if !owner.active { v.add("form.owner_id", "names a deactivated user") }
        } else {
            v.add("form.owner_id", "names no user (\(form.ownerID))")
        }
        if let other = try FormStore.form(db, publicID: form.publicID), other.id != form.id {
            throw DomainError.alreadyExists("form \(other.id) already has the public id \(form.publicID)",
                                            existing: [Existing("form", id: other.id, field: "form.public_id", value: form.publicID)])
        }
        try v.check()
        return form
    }
}

extension WebFormRecord {
    init(_ w: LeadsV1.WebForm) {
        self.init(publicID: w.publicId, name: w.name, fields: w.fields.map { Field(field: $0.field, label: $0.label, required: $0.required) })
        id = w.id
        typeID = w.typeId
        sourceTypeID = w.sourceTypeId
        source = w.source
        campaign = w.campaign
        channel = w.channel
        ownerID = w.ownerId
        redirectURL = w.redirectUrl
        hostedPage = w.hostedPage
        minFillSeconds = w.minFillSeconds
        active = w.active
        version = w.version
    }

    var wire: LeadsV1.WebForm {
        LeadsV1.WebForm(
            id: id, publicId: publicID, name: name, fields: fields.map { LeadsV1.FormField(field: $0.field, label: $0.label, required: $0.required) },
            typeId: typeID, sourceTypeId: sourceTypeID, source: source, campaign: campaign, channel: channel, ownerId: ownerID,
            redirectUrl: redirectURL, hostedPage: hostedPage, minFillSeconds: minFillSeconds, active: active, version: version,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}
