import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

/// `crm forms`: the web forms that capture leads from a website (admins change them).
struct Forms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Web forms that turn a website's visitors into leads: add, edit, list, show, disable (changes are for admins).",
        discussion: """
            crm-leads serves each form's page at http://HOST:PORT/forms/PUBLIC_ID when it runs with --forms-listen \
            (`crm up` gives it its leads port plus 10) and takes submissions there: a new lead, through the same rules \
            as `crm leads add`, or a note on the lead it duplicates.
            """,
        subcommands: [Add.self, Edit.self, List.self, Show.self, Disable.self])

    /// What add and edit set.
    struct FormOptions: ParsableArguments {
        @Option(help: "The form's name, shown as the page's title.") var name: String?
        @Option(name: .customLong("field"), help: ArgumentHelp(
            "A field, in page order: FIELD or FIELD=LABEL, such as emails=\"Your e-mail\" (repeat). Fields: full_name, company, emails, phones, location, country, region, province, postal_code, locale, message, or a custom field's key.",
            valueName: "field")) var fields: [String] = []
        @Option(help: ArgumentHelp("The fields a visitor must fill (comma-separated); full_name always.", valueName: "fields")) var required = ""
        @Option(help: ArgumentHelp("The lead type of its leads: name or id.", valueName: "type")) var type: String?
        @Option(name: .customLong("source-type"), help: ArgumentHelp("The source type: name or id.", valueName: "name")) var sourceType: String?
        @Option(help: "The source text its leads get.") var source: String?
        @Option(help: "The campaign its leads get.") var campaign: String?
        @Option(help: "The channel its leads get.") var channel: String?
        @Option(help: ArgumentHelp("The user its leads belong to until assigned: login or id (default: you).", valueName: "user")) var owner: String?
        @Option(name: .customLong("redirect"), help: ArgumentHelp("Where a visitor goes after submitting (http or https URL; default: a thank-you page).", valueName: "url")) var redirect: String?
        @Option(name: .customLong("min-fill"), help: ArgumentHelp("Refuse submissions sooner than this many seconds after the page was served (0 for a page of your own).", valueName: "seconds")) var minFill: Int32?
        @Flag(inversion: .prefixedNo, help: "Serve the hosted page (GET /forms/ID).") var page: Bool?

        /// `form` with every option given applied, names read as ids through crm-leads.
        func apply(to form: inout LeadsV1.WebForm, _ rpc: RPCClient, _ options: CallOptions) async throws {
            if let name { form.name = name }
            if !fields.isEmpty {
                let mandatory = Set(LeadFilterOptions.list(required) + ["full_name"])
                form.fields = fields.map { text in
                    let pair = text.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                    return LeadsV1.FormField(field: pair[0], label: pair.count > 1 ? pair[1] : "", required: mandatory.contains(pair[0]))
                }
                if !form.fields.contains(where: { $0.field == "full_name" }) { form.fields.insert(LeadsV1.FormField(field: "full_name", required: true), at: 0) }
            } else if !required.isEmpty {
                let mandatory = Set(LeadFilterOptions.list(required) + ["full_name"])
                for i in form.fields.indices { form.fields[i].required = mandatory.contains(form.fields[i].field) }
            }
            if type != nil || sourceType != nil {
                let names = try await Names.load(rpc, options)
                if let type { form.typeId = try LeadFilterOptions.ids(type, "--type", names: names.types, what: "lead type").first ?? 0 }
                if let sourceType { form.sourceTypeId = try LeadFilterOptions.ids(sourceType, "--source-type", names: names.catalog, what: "source type").first ?? 0 }
            }
            if let source { form.source = source }
            if let campaign { form.campaign = campaign }
            if let channel { form.channel = channel }
            if let owner { form.ownerId = try await userIDFor(owner, rpc, options) }
            if let redirect { form.redirectUrl = redirect }
            if let minFill { form.minFillSeconds = minFill }
            if let page { form.hostedPage = page }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a web form.",
            discussion: "Example: crm forms add contact --name \"Contact us\" --field full_name --field emails --field phones --field message --required emails --source-type \"Web form\"")
        @Argument(help: "The form's public id, in its URL: a-z, 0-9 and '-'.") var publicID: String
        @OptionGroup var form: FormOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                guard form.name != nil else { throw CLIFailure(.usage, "give the form's --name") }
                guard !form.fields.isEmpty else { throw CLIFailure(.usage, "give its fields with --field (full_name is always one)") }
                try await Forms.showing(connection, output, changing: true) { client, rpc, options in
                    var new = LeadsV1.WebForm(publicId: publicID, hostedPage: true, minFillSeconds: 3, active: true)
                    try await form.apply(to: &new, rpc, options)
                    return try await client.createForm(LeadsV1.CreateFormRequest(form: new), options: options)
                }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a web form: only the options given change (--field replaces the fields).")
        @Argument(help: "The form's id or public id.") var form: String
        @OptionGroup var options: FormOptions
        @Flag(help: "Take submissions again after `crm forms disable`.") var enable = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                try await Forms.showing(connection, output) { client, rpc, call in
                    var current = try await client.getForm(Forms.request(form), options: call)
                    try await options.apply(to: &current, rpc, call)
                    if enable { current.active = true }
                    return try await client.updateForm(LeadsV1.UpdateFormRequest(form: current), options: call.with(idempotencyKey: UUID().uuidString))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the web forms, with their pages' addresses.")
        @Flag(help: "Include disabled forms.") var disabled = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let list = try await connection.withLeads { rpc in
                    try await LeadsV1.Forms.Client(rpc).listForms(LeadsV1.ListFormsRequest(activeOnly: !disabled), options: options)
                }
                let base = try Forms.base(connection)
                try output.print(list, Table(header: ["id", "public id", "name", "fields", "active", "page"], rows: list.forms.map { f in
                    [String(f.id), f.publicId, f.name, f.fields.map { $0.field + ($0.required ? "*" : "") }.joined(separator: ", "),
                     f.active ? "yes" : "no", f.active && f.hostedPage ? "\(base)/forms/\(f.publicId)" : ""]
                }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a web form.")
        @Argument(help: "The form's id or public id.") var form: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                try await Forms.showing(connection, output) { client, _, options in
                    try await client.getForm(Forms.request(form), options: options)
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn a web form off: its page and submissions answer 404 (`crm forms edit --enable` turns it on).")
        @Argument(help: "The form's id or public id.") var form: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                try await Forms.showing(connection, output) { client, _, options in
                    let current = try await client.getForm(Forms.request(form), options: options)
                    return try await client.disableForm(LeadsV1.DisableFormRequest(id: current.id, version: current.version), options: options)
                }
            }
        }
    }

    /// Signs in, runs `body` against crm-leads, and shows the form it answers, with names for its
    /// ids (none when it prints as JSON).
    static func showing(_ connection: ConnectionOptions, _ output: OutputOptions, changing: Bool = false,
                        _ body: (LeadsV1.Forms.Client, RPCClient, CallOptions) async throws -> LeadsV1.WebForm) async throws {
        let options = try connection.signedIn(changing: changing)
        let (form, names) = try await connection.withLeads { rpc in
            (try await body(LeadsV1.Forms.Client(rpc), rpc, options), output.json ? Names() : try await Names.load(rpc, options))
        }
        try show(form, names, output, connection)
    }

    static func request(_ form: String) -> LeadsV1.GetFormRequest {
        Int64(form).map { LeadsV1.GetFormRequest(id: $0) } ?? LeadsV1.GetFormRequest(publicId: form)
    }

    /// Where `crm up` serves the forms: crm-leads' address, port plus 10.
    static func base(_ connection: ConnectionOptions) throws -> String {
        "http://\(FormsProbe.endpoint(of: try connection.address(of: .leads)))"
    }
}

private func show(_ form: LeadsV1.WebForm, _ names: Names, _ output: OutputOptions, _ connection: ConnectionOptions) throws {
    let page = form.active && form.hostedPage ? "\(try Forms.base(connection))/forms/\(form.publicId)" : ""
    try output.print(form, details([
        ("id", String(form.id)), ("public id", form.publicId), ("name", form.name),
        ("fields", form.fields.map { $0.field + ($0.label.isEmpty ? "" : " (\($0.label))") + ($0.required ? " *" : "") }.joined(separator: ", ")),
        ("type", form.typeId == 0 ? "the definition's default" : names.type(form.typeId)), ("source type", names.catalog(form.sourceTypeId)),
        ("source", form.source), ("campaign", form.campaign), ("channel", form.channel), ("owner", names.user(form.ownerId)),
        ("redirect", form.redirectUrl), ("hosted page", form.hostedPage ? "yes" : "no"), ("min fill", "\(form.minFillSeconds) s"),
        ("active", form.active ? "yes" : "no"), ("page", page), ("version", String(form.version)),
    ]))
}
