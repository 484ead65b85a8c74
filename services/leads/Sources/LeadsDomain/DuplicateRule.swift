import CRMDomain

/// Which fields make two leads duplicates: the active lead definition's choice among the
/// e-mails, the phones, the company and full name together, and custom fields (a supply point
/// code, an id from another system). Create, import and FindDuplicates all ask this one rule, and
/// an import matches the leads it updates by the same keys.
public struct DuplicateRule: Sendable, Hashable {
    /// A field two leads may share.
    public enum Field: Sendable, Hashable {
        case emails, phones, companyName, custom(String)

        /// As a request and the configuration name it: "emails", "phones", "company_name",
        /// "custom_fields.KEY".
        public var name: String {
            switch self {
            case .emails: "emails"
            case .phones: "phones"
            case .companyName: "company_name"
            case .custom(let key): "custom_fields.\(key)"
            }
        }

        /// As one key of it is told: "email", "phone", "company_name", "custom_fields.KEY".
        public var kind: String {
            switch self {
            case .emails: "email"
            case .phones: "phone"
            case .companyName, .custom: name
            }
        }

        /// The field `name` names ("emails" or "email", "custom_fields.KEY" or a custom key
        /// among `customKeys`), or nil.
        public init?(_ name: String, customKeys: Set<String>) {
            switch name {
            case "emails", "email": self = .emails
            case "phones", "phone": self = .phones
            case "company_name": self = .companyName
            default:
                let key = name.hasPrefix("custom_fields.") ? String(name.dropFirst("custom_fields.".count)) : name
                guard customKeys.contains(key) else { return nil }
                self = .custom(key)
            }
        }
    }

    /// One value a lead has for a field, normalised as it is compared.
    public struct Key: Sendable, Hashable {
        public var kind: String
        public var value: String

        public init(kind: String, value: String) {
            self.kind = kind
            self.value = value
        }
    }

    /// What a configuration without a choice uses, and what every lead is indexed by.
    public static let standard: [Field] = [.emails, .phones]

    public var fields: [Field]

    public init(fields: [Field]) {
        self.fields = fields
    }

    /// The rule of the active definition; its custom fields that are no longer active are left out.
    public init(_ configuration: LeadConfiguration) {
        let names = configuration.activeDefinition?.duplicateFields ?? []
        let active = Set(configuration.customFields.filter(\.active).map(\.key))
        let fields = names.compactMap { Field($0, customKeys: active) }
        self.init(fields: names.isEmpty ? Self.standard : fields)
    }

    /// Every field whose keys the store indexes: the rule's, and always the e-mails and phones.
    public var indexed: [Field] {
        Self.standard + fields.filter { !Self.standard.contains($0) }
    }

    /// The lead's keys for the rule's fields, in the rule's order.
    public func keys(of lead: LeadRecord) -> [Key] {
        fields.flatMap { Self.keys(of: lead, for: $0) }
    }

    /// The lead's keys for every indexed field.
    public func indexedKeys(of lead: LeadRecord) -> [Key] {
        indexed.flatMap { Self.keys(of: lead, for: $0) }
    }

    /// The keys of one field: each e-mail and phone as stored (already normalised), the company
    /// and name only when both are given, a custom value folded as a person would compare it.
    public static func keys(of lead: LeadRecord, for field: Field) -> [Key] {
        switch field {
        case .emails: return lead.emails.map { Key(kind: field.kind, value: $0) }
        case .phones: return lead.phones.map { Key(kind: field.kind, value: $0) }
        case .companyName:
            let company = folded(lead.company), name = folded(lead.fullName)
            guard !company.isEmpty, !name.isEmpty else { return [] }
            return [Key(kind: field.kind, value: company + " / " + name)]
        case .custom(let key):
            guard let value = lead.customFields[key] else { return [] }
            let text: String
            if case .date(let ms) = value { text = Timestamp.formatDate(ms) } else { text = folded(value.display) }
            return text.isEmpty ? [] : [Key(kind: field.kind, value: text)]
        }
    }

    private static func folded(_ text: String) -> String {
        TextRules.collapsed(text).lowercased()
    }

    /// The violations of a definition's list of duplicate fields.
    static func check(_ names: [String], customKeys: Set<String>, field: String, into v: inout Violations) {
        if names.count > 10 { v.add(field, "must name at most 10 fields") }
        if Set(names).count != names.count { v.add(field, "must not repeat a field") }
        for (i, name) in names.enumerated() where Field(name, customKeys: customKeys)?.name != name {
            v.add("\(field)[\(i)]", "must be emails, phones, company_name or custom_fields.KEY of a custom field (\(name))")
        }
    }
}
