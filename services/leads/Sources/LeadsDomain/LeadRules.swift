import CRMDomain
import Foundation

/// Checks and normalises a lead's fields against the configuration.
public struct LeadRules: Sendable {
    public let configuration: LeadConfiguration

    public init(configuration: LeadConfiguration) {
        self.configuration = configuration
    }

    /// Normalises `lead` in place and reports every bad field under `prefix` ("lead").
    public func check(_ lead: inout LeadRecord, prefix p: String, creating: Bool, into v: inout Violations) {
        lead.fullName = TextRules.collapsed(lead.fullName)
        TextRules.check(lead.fullName, field: "\(p).full_name", required: true, max: 200, into: &v)
        for (value, field, max) in [
            (lead.company, "company", 200), (lead.login, "login", 200), (lead.partner, "partner", 200), (lead.location, "location", 500),
            (lead.region, "region", 100), (lead.province, "province", 100), (lead.postalCode, "postal_code", 20),
            (lead.campaign, "campaign", 200), (lead.channel, "channel", 200), (lead.source, "source", 500),
        ] {
            TextRules.check(value, field: "\(p).\(field)", required: false, max: max, into: &v)
        }

        lead.country = lead.country.trimmingSpaces.uppercased()
        if !lead.country.isEmpty && !CountryCode.isAssigned(lead.country) {
            v.add("\(p).country", "must be an ISO 3166-1 alpha-2 country code such as ES (\(lead.country.prefix(10)) is none)")
        }
        lead.locale = lead.locale.trimmingSpaces
        if !lead.locale.isEmpty && !Self.isLocale(lead.locale) { v.add("\(p).locale", "must be a language tag such as es-ES") }

        if lead.emails.count > 10 { v.add("\(p).emails", "must have at most 10 addresses") }
        lead.emails = lead.emails.enumerated().compactMap { i, raw in
            let email = raw.trimmingSpaces.lowercased()
            if !EmailRules.isValid(email) { v.add("\(p).emails[\(i)]", "must be an e-mail address such as ana@example.com"); return nil }
            return email
        }.uniqued()
        if lead.phones.count > 10 { v.add("\(p).phones", "must have at most 10 numbers") }
        lead.phones = lead.phones.enumerated().compactMap { i, raw in
            guard let phone = PhoneRules.normalised(raw, country: lead.country) else {
                v.add("\(p).phones[\(i)]", "must be a phone number with its country code, such as +34 600 111 222")
                return nil
            }
            return phone
        }.uniqued()

        let c = configuration
        if let type = c.type(lead.typeID) {
            if creating && !type.active { v.add("\(p).type_id", "names a retired lead type") }
            if creating, let definition = c.activeDefinition, !definition.allowedTypeIDs.contains(type.id) {
                v.add("\(p).type_id", "is not allowed by the active lead definition")
            }
            if lead.categoryID != 0 && !type.categoryIDs.contains(lead.categoryID) {
                v.add("\(p).category_id", "is not a category of lead type \(type.name)")
            }
            if lead.statusID != 0 && !type.statusIDs.contains(lead.statusID) { v.add("\(p).status_id", "is not a status of lead type \(type.name)") }
        } else {
            v.add("\(p).type_id", "names no lead type (\(lead.typeID))")
        }
        if lead.sourceTypeID != 0 && c.item(lead.sourceTypeID, kind: .sourceType) == nil { v.add("\(p).source_type_id", "names no source type (\(lead.sourceTypeID))") }
        if !(1...10).contains(lead.priority) || !c.prioritySupported(lead.priority) { v.add("\(p).priority", "must be a supported priority from 1 to 10") }
        if !(1...8).contains(lead.importance) || !c.importanceSupported(lead.importance) { v.add("\(p).importance", "must be a supported importance from 1 to 8") }
        if !(0...100).contains(lead.probability) { v.add("\(p).probability", "must be from 0 to 100") }
        if !(0...1000).contains(lead.score) { v.add("\(p).score", "must be from 0 to 1000") }
        if let money = lead.targetAmount {
            let currency = money.currency.uppercased()
            lead.targetAmount?.currency = currency
            if money.amountMinor < 0 { v.add("\(p).target_amount.amount_minor", "must not be negative") }
            if money.amountMinor != 0 && !(currency.count == 3 && currency.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }) {
                v.add("\(p).target_amount.currency", "must be an ISO 4217 code such as EUR")
            }
            if money.amountMinor == 0 && currency.isEmpty { lead.targetAmount = nil }
        }
        for (i, id) in lead.competitorIDs.enumerated() where c.item(id, kind: .competitor) == nil {
            v.add("\(p).competitor_ids[\(i)]", "names no competitor (\(id))")
        }
        if lead.competitorIDs.count > 20 { v.add("\(p).competitor_ids", "must have at most 20 entries") }
        if lead.teamUserIDs.count > 20 { v.add("\(p).team_user_ids", "must have at most 20 entries") }
        if lead.products.count > 50 { v.add("\(p).products", "must have at most 50 entries") }
        for (i, product) in lead.products.enumerated() {
            TextRules.check(product.product, field: "\(p).products[\(i)].product", required: true, max: 200, into: &v)
            TextRules.check(product.notes, field: "\(p).products[\(i)].notes", required: false, max: 2000, into: &v)
            if product.quantity < 0 { v.add("\(p).products[\(i)].quantity", "must not be negative") }
        }
        for (value, field) in [(lead.lastContactedAt, "last_contacted_at"), (lead.contactOn, "contact_on"), (lead.expectedCompletionAt, "expected_completion_at")]
        where value < 0 || value > 32_503_680_000_000 {
            v.add("\(p).\(field)", "must be a time in Unix milliseconds before the year 3000")
        }
        checkCustomFields(lead, prefix: p, creating: creating, into: &v)
    }

    private func checkCustomFields(_ lead: LeadRecord, prefix p: String, creating: Bool, into v: inout Violations) {
        if lead.customFields.count > 100 { v.add("\(p).custom_fields", "must have at most 100 values") }
        let applicable = configuration.customFields.filter { $0.leadTypeIDs.isEmpty || $0.leadTypeIDs.contains(lead.typeID) }
        for key in lead.customFields.keys.sorted() {
            let field = "\(p).custom_fields.\(key)"
            guard let definition = applicable.first(where: { $0.key == key }) else {
                v.add(field, "is not a custom field of this lead type")
                continue
            }
            if !definition.active { v.add(field, "is retired and takes no new values"); continue }
            switch (definition.type, lead.customFields[key]!) {
            case (.text, .text(let text)):
                TextRules.check(text, field: field, required: definition.required, max: 1000, into: &v)
                if !definition.pattern.isEmpty, text.range(of: definition.pattern, options: .regularExpression) == nil {
                    v.add(field, "must match \(definition.pattern)")
                }
            case (.choice, .text(let text)):
                if !definition.choices.contains(text) { v.add(field, "must be one of \(definition.choices.joined(separator: ", "))") }
            case (.decimal, .decimal(let text)):
                if LeadRecord.CustomValue.parse(text, as: .decimal) != .decimal(text) {
                    v.add(field, "must be a decimal number such as 3.45")
                }
            case (.integer, .integer), (.boolean, .boolean), (.date, .date):
                break
            default:
                v.add(field, "must be a \(definition.type.rawValue) value")
            }
        }
        if creating {
            for definition in applicable where definition.required && definition.active && lead.customFields[definition.key] == nil {
                v.add("\(p).custom_fields.\(definition.key)", "is required for this lead type")
            }
        }
    }

    static func isLocale(_ text: String) -> Bool {
        text.range(of: "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$", options: .regularExpression) != nil
    }
}

/// Phone numbers in E.164 form (+34600111222).
public enum PhoneRules {
    /// Country calling codes for numbers written without one, by the lead's country.
    static let callingCodes: [String: String] = [
        "ES": "34", "PT": "351", "FR": "33", "DE": "49", "IT": "39", "GB": "44", "IE": "353", "NL": "31", "BE": "32",
        "US": "1", "CA": "1", "MX": "52", "AR": "54", "CO": "57", "CL": "56", "PE": "51", "BR": "55",
    ]

    public static func normalised(_ raw: String, country: String) -> String? {
        var text = raw.filter { !" -.()/\t".contains($0) }
        if text.hasPrefix("00") { text = "+" + text.dropFirst(2) }
        if !text.hasPrefix("+") {
            guard let code = callingCodes[country] else { return nil }
            text = "+" + code + text
        }
        let digits = text.dropFirst()
        guard (8...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0" else { return nil }
        return text
    }
}

extension Array where Element: Hashable {
    /// The elements in order, without repeats.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
