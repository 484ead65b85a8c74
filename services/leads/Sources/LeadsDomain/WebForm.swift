import CRMDomain

/// A web form: the lead fields a company's website asks for, the values every lead from it
/// gets, and where a visitor goes after submitting.
public struct WebFormRecord: Sendable, Hashable {
    public struct Field: Sendable, Hashable, Codable {
        public var field: String
        public var label: String
        public var required: Bool

        public init(field: String, label: String = "", required: Bool = false) {
            self.field = field
            self.label = label
            self.required = required
        }
    }

    public var id: Int64 = 0
    public var publicID: String
    public var name: String
    public var fields: [Field]
    public var typeID: Int64 = 0
    public var sourceTypeID: Int64 = 0
    public var source = ""
    public var campaign = ""
    public var channel = ""
    public var ownerID: Int64 = 0
    public var redirectURL = ""
    public var hostedPage = true
    public var minFillSeconds: Int32 = 3
    public var active = true
    public var version: Int64 = 1
    public var createdAt: Int64 = 0
    public var updatedAt: Int64 = 0

    public init(publicID: String, name: String, fields: [Field]) {
        self.publicID = publicID
        self.name = name
        self.fields = fields
    }
}

/// What a form may ask for and how a submission becomes a lead.
public enum WebFormRules {
    /// The lead fields a visitor may fill (besides custom fields), with their usual labels and
    /// the HTML input types that suit them. "message" is kept as a note on the lead.
    public static let standardFields: [(field: String, label: String, input: String)] = [
        ("full_name", "Name", "text"), ("company", "Company", "text"), ("emails", "E-mail", "email"), ("phones", "Phone", "tel"),
        ("location", "Address", "text"), ("country", "Country (ISO code, such as ES)", "text"), ("region", "Region", "text"),
        ("province", "Province", "text"), ("postal_code", "Postal code", "text"), ("locale", "Language", "text"),
        ("message", "Message", "textarea"),
    ]

    /// The hidden field a person never sees nor fills: a submission with it filled is a bot's.
    public static let honeypotField = "website"
    /// The hidden field carrying when the page was served, signed.
    public static let tokenField = "form_token"
    /// The longest a message may be (a note's limit).
    public static let maxMessage = 2000

    /// Normalises `form` and reports every bad part under `prefix` ("form").
    public static func check(_ form: inout WebFormRecord, configuration: LeadConfiguration, prefix p: String, into v: inout Violations) {
        form.publicID = form.publicID.trimmingSpaces.lowercased()
        let idOK = (3...64).contains(form.publicID.count)
            && form.publicID.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            && !form.publicID.hasPrefix("-")
        if !idOK { v.add("\(p).public_id", "must be 3-64 characters of a-z, 0-9 and '-', not starting with '-'") }
        form.name = TextRules.collapsed(form.name)
        TextRules.check(form.name, field: "\(p).name", required: true, max: 100, into: &v)
        if form.fields.isEmpty || form.fields.count > 30 { v.add("\(p).fields", "must list 1 to 30 fields") }
        let custom = Set(configuration.customFields.filter(\.active).map(\.key))
        var seen = Set<String>()
        for (i, f) in form.fields.enumerated() {
            form.fields[i].field = f.field.trimmingSpaces
            form.fields[i].label = TextRules.collapsed(f.label)
            let name = form.fields[i].field
            if !standardFields.contains(where: { $0.field == name }) && !custom.contains(name) {
                v.add("\(p).fields[\(i)].field", "must be one of \(standardFields.map(\.field).joined(separator: ", ")) or an active custom field's key (\(name))")
            }
            if !seen.insert(name).inserted { v.add("\(p).fields[\(i)].field", "is already in the form") }
            TextRules.check(form.fields[i].label, field: "\(p).fields[\(i)].label", required: false, max: 100, into: &v)
        }
        if !form.fields.contains(where: { $0.field == "full_name" && $0.required }) {
            v.add("\(p).fields", "must ask for full_name, required: every lead has a name")
        }
        if form.typeID != 0 {
            if let type = configuration.type(form.typeID) {
                if !type.active { v.add("\(p).type_id", "names a retired lead type") }
            } else {
                v.add("\(p).type_id", "names no lead type (\(form.typeID))")
            }
        }
        if form.sourceTypeID != 0 && configuration.item(form.sourceTypeID, kind: .sourceType) == nil {
            v.add("\(p).source_type_id", "names no source type (\(form.sourceTypeID))")
        }
        for (value, field) in [(form.source, "source"), (form.campaign, "campaign"), (form.channel, "channel")] {
            TextRules.check(value, field: "\(p).\(field)", required: false, max: 200, into: &v)
        }
        form.redirectURL = form.redirectURL.trimmingSpaces
        if !form.redirectURL.isEmpty {
            let url = form.redirectURL.lowercased()
            let safe = (url.hasPrefix("https://") || url.hasPrefix("http://")) && form.redirectURL.count <= 2000
                && form.redirectURL.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
            if !safe { v.add("\(p).redirect_url", "must be an absolute http or https URL of printable ASCII (percent-encode the rest), at most 2,000 characters") }
        }
        if !(0...600).contains(form.minFillSeconds) { v.add("\(p).min_fill_seconds", "must be from 0 to 600") }
    }

    /// The label a field shows: the form's own, else the usual one, else a custom field's label.
    public static func label(of field: WebFormRecord.Field, configuration: LeadConfiguration) -> String {
        if !field.label.isEmpty { return field.label }
        if let standard = standardFields.first(where: { $0.field == field.field }) { return standard.label }
        return configuration.customFields.first { $0.key == field.field }?.label ?? field.field
    }

    /// The HTML input type of a field ("text", "email", "tel", "textarea", "number", "date",
    /// "checkbox", "select").
    public static func input(of field: String, configuration: LeadConfiguration) -> String {
        if let standard = standardFields.first(where: { $0.field == field }) { return standard.input }
        switch configuration.customFields.first(where: { $0.key == field })?.type {
        case .integer: return "number"
        case .decimal: return "text"
        case .date: return "date"
        case .boolean: return "checkbox"
        case .choice: return "select"
        case .text, nil: return "text"
        }
    }

    /// A submission as a lead, or its violations naming the form's fields. `values` are the
    /// submitted fields by name (others, such as a submit button's, are ignored); the lead goes
    /// through the import's reading of cells and every lead rule, so a form's lead is checked as
    /// CreateLead checks one. `message` is what the note of the submission should say.
    public static func lead(
        from values: [String: String], form: WebFormRecord, configuration: LeadConfiguration, owner: Caller, now: Int64
    ) -> Result<(lead: LeadRecord, message: String), DomainError> {
        var v = Violations()
        for field in form.fields where field.required {
            if (values[field.field] ?? "").trimmingSpaces.isEmpty { v.add(field.field, "is required") }
        }
        let message = (values["message"] ?? "").trimmingSpaces
        if form.fields.contains(where: { $0.field == "message" }) {
            TextRules.check(message.filter { $0 != "\r" }, field: "message", required: false, max: maxMessage, into: &v)
        }
        if !v.all.isEmpty { return .failure(.invalid(v.all)) }
        let columns = form.fields.map(\.field).filter { $0 != "message" }
        var ignored = Violations()
        let plan = LeadImport(header: columns, mapping: [], configuration: configuration, caller: owner, now: now, userIDs: [:], into: &ignored)
        if !ignored.all.isEmpty { return .failure(.invalid(ignored.all)) }
        var cells: LeadImport.Cells
        switch plan.cells(row: 1, fields: columns.map { values[$0] ?? "" }, header: columns.count) {
        case .failure(let errors): return .failure(.invalid(errors.all.map { Violation($0.column, $0.message) }))
        case .success(let read): cells = read
        }
        cells.values.typeID = form.typeID
        cells.values.sourceTypeID = form.sourceTypeID
        cells.values.source = form.source
        cells.values.campaign = form.campaign
        cells.values.channel = form.channel
        switch plan.lead(row: 1, cells, imported: false) {
        case .errors(let errors):
            // A fixed value the configuration no longer allows is the form's fault, not the visitor's.
            return .failure(.invalid(errors.map { Violation($0.column.isEmpty ? "form" : $0.column, $0.message) }))
        case .lead(let lead): return .success((lead, message))
        }
    }

    /// The note a submission leaves on the lead it created or duplicates: every field it gave.
    public static func note(for values: [String: String], form: WebFormRecord, configuration: LeadConfiguration, duplicate: Bool) -> String {
        var lines = ["\(duplicate ? "Submitted again" : "Submitted") through web form \(form.name):"]
        for field in form.fields where field.field != "message" {
            let value = (values[field.field] ?? "").trimmingSpaces
            if !value.isEmpty { lines.append("\(label(of: field, configuration: configuration)): \(value)") }
        }
        let message = (values["message"] ?? "").trimmingSpaces
        if !message.isEmpty { lines.append(""); lines.append(message) }
        var text = lines.joined(separator: "\n")
        // A note holds 2,000 characters: a long message is cut, the fields stay.
        if text.count > maxMessage { text = String(text.prefix(maxMessage - 1)) + "…" }
        return text
    }
}
