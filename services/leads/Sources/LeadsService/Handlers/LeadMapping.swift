import LeadsDomain
import CRMDomain
import CRMWire

// Leads between the wire (LeadsV1) and the domain.

extension LeadRecord {
    /// The lead as callers see it, with the derived fields at `now`.
    func wire(now: Int64, unread: Bool) -> LeadsV1.Lead {
        var lead = LeadsV1.Lead(
            id: id, fullName: fullName, company: company, emails: emails, phones: phones, login: login, partner: partner,
            location: location, country: country, region: region, province: province, postalCode: postalCode, locale: locale,
            campaign: campaign, channel: channel, sourceTypeId: sourceTypeID, source: source, typeId: typeID, categoryId: categoryID,
            statusId: statusID, state: state.wire, priority: priority, importance: importance, probability: probability,
            targetAmount: targetAmount.map { RpcV1.Money(amountMinor: $0.amountMinor, currency: $0.currency) }, score: score,
            ownerId: ownerID, assignedUnitId: assignedUnitID, assignedUserId: assignedUserID, teamUserIds: teamUserIDs,
            competitorIds: competitorIDs, products: products.map { LeadsV1.ProductInterest(product: $0.product, quantity: $0.quantity, notes: $0.notes) },
            lastContactedAt: lastContactedAt, contactOn: contactOn, startedAt: startedAt, expectedCompletionAt: expectedCompletionAt,
            completedAt: completedAt, lostReasonId: lostReasonID, lostToCompetitorId: lostToCompetitorID,
            customFields: customFields.keys.sorted().map { LeadsV1.CustomFieldValue(key: $0, value: customFields[$0]!.wire) },
            acceptedAt: acceptedAt, imported: imported, lastReassignedAt: lastReassignedAt,
            timeToCompletionMs: timeToCompletion(now: now), timeOverdueMs: timeOverdue(now: now), unread: unread,
            mergedIntoId: mergedIntoID, version: version, createdBy: createdBy, createdAt: createdAt, updatedBy: updatedBy, updatedAt: updatedAt)
        if !conversion.isEmpty { lead.conversion = conversion.wire }
        return lead
    }

    /// The record `wire` was made from, but for what `wire(now:unread:)` derives (time to
    /// completion and overdue, unread): how the creation history reads a lead back from the
    /// event that carries it.
    init(wire: LeadsV1.Lead) {
        self.init()
        id = wire.id
        fullName = wire.fullName
        company = wire.company
        emails = wire.emails
        phones = wire.phones
        login = wire.login
        partner = wire.partner
        location = wire.location
        country = wire.country
        region = wire.region
        province = wire.province
        postalCode = wire.postalCode
        locale = wire.locale
        campaign = wire.campaign
        channel = wire.channel
        sourceTypeID = wire.sourceTypeId
        source = wire.source
        typeID = wire.typeId
        categoryID = wire.categoryId
        statusID = wire.statusId
        state = LifecycleState(wire.state) ?? .pending
        priority = wire.priority
        importance = wire.importance
        probability = wire.probability
        targetAmount = wire.targetAmount.map { Money(amountMinor: $0.amountMinor, currency: $0.currency) }
        score = wire.score
        ownerID = wire.ownerId
        assignedUnitID = wire.assignedUnitId
        assignedUserID = wire.assignedUserId
        teamUserIDs = wire.teamUserIds
        competitorIDs = wire.competitorIds
        products = wire.products.map { Product(product: $0.product, quantity: $0.quantity, notes: $0.notes) }
        lastContactedAt = wire.lastContactedAt
        contactOn = wire.contactOn
        startedAt = wire.startedAt
        expectedCompletionAt = wire.expectedCompletionAt
        completedAt = wire.completedAt
        lostReasonID = wire.lostReasonId
        lostToCompetitorID = wire.lostToCompetitorId
        for field in wire.customFields {
            if let value = field.value { customFields[field.key] = CustomValue(value) }
        }
        acceptedAt = wire.acceptedAt
        imported = wire.imported
        lastReassignedAt = wire.lastReassignedAt
        mergedIntoID = wire.mergedIntoId
        version = wire.version
        createdBy = wire.createdBy
        createdAt = wire.createdAt
        updatedBy = wire.updatedBy
        updatedAt = wire.updatedAt
        if let links = wire.conversion {
            conversion.accountID = links.accountId
            conversion.contactID = links.contactId
            conversion.opportunityID = links.opportunityId
            conversion.convertedAt = links.convertedAt
            conversion.convertedBy = links.convertedBy
        }
    }

    static let inputFields = [
        "full_name", "company", "emails", "phones", "login", "partner", "location", "country", "region", "province", "postal_code",
        "locale", "campaign", "channel", "source_type_id", "source", "type_id", "category_id", "status_id", "priority", "importance",
        "probability", "target_amount", "score", "team_user_ids", "competitor_ids", "products", "last_contacted_at", "contact_on",
        "expected_completion_at", "custom_fields", "owner_id",
    ]

    /// The input's fields named in `mask` (every field when empty) laid over `self`; the status
    /// and owner are returned apart, because changing them has rules of their own.
    func applying(_ input: LeadsV1.LeadInput, mask: [String], into v: inout Violations) -> (lead: LeadRecord, statusID: Int64?, ownerID: Int64?) {
        var lead = self
        var statusID: Int64? = nil
        var ownerID: Int64? = nil
        for field in mask.isEmpty ? Self.inputFields : mask {
            switch field {
            case "full_name": lead.fullName = input.fullName
            case "company": lead.company = input.company
            case "emails": lead.emails = input.emails
            case "phones": lead.phones = input.phones
            case "login": lead.login = input.login
            case "partner": lead.partner = input.partner
            case "location": lead.location = input.location
            case "country": lead.country = input.country
            case "region": lead.region = input.region
            case "province": lead.province = input.province
            case "postal_code": lead.postalCode = input.postalCode
            case "locale": lead.locale = input.locale
            case "campaign": lead.campaign = input.campaign
            case "channel": lead.channel = input.channel
            case "source_type_id": lead.sourceTypeID = input.sourceTypeId
            case "source": lead.source = input.source
            case "type_id": lead.typeID = input.typeId
            case "category_id": lead.categoryID = input.categoryId
            case "status_id": statusID = input.statusId
            case "priority": lead.priority = input.priority
            case "importance": lead.importance = input.importance
            case "probability": lead.probability = input.probability
            case "target_amount": lead.targetAmount = input.targetAmount.map { Money(amountMinor: $0.amountMinor, currency: $0.currency) }
            case "score": lead.score = input.score
            case "team_user_ids": lead.teamUserIDs = input.teamUserIds
            case "competitor_ids": lead.competitorIDs = input.competitorIds
            case "products": lead.products = input.products.map { Product(product: TextRules.collapsed($0.product), quantity: $0.quantity, notes: $0.notes) }
            case "last_contacted_at": lead.lastContactedAt = input.lastContactedAt
            case "contact_on": lead.contactOn = input.contactOn
            case "expected_completion_at": lead.expectedCompletionAt = input.expectedCompletionAt
            case "custom_fields":
                for (i, value) in input.customFields.enumerated() {
                    if let typed = value.value.map(CustomValue.init) {
                        lead.customFields[value.key] = typed
                    } else if value.key.isEmpty {
                        v.add("lead.custom_fields[\(i)].key", "is required")
                    } else {
                        lead.customFields.removeValue(forKey: value.key)  // a value with nothing set clears the field
                    }
                }
            case "owner_id": ownerID = input.ownerId
            default: v.add("update_mask", "names no field of LeadInput: \(field)")
            }
        }
        return (lead, statusID, ownerID)
    }
}

extension LeadRecord.CustomValue {
    init(_ wire: LeadsV1.CustomFieldValue.Value) {
        switch wire {
        case .text(let v): self = .text(v)
        case .integer(let v): self = .integer(v)
        case .decimal(let v): self = .decimal(v)
        case .boolean(let v): self = .boolean(v)
        case .date(let v): self = .date(v)
        }
    }

    var wire: LeadsV1.CustomFieldValue.Value {
        switch self {
        case .text(let v): .text(v)
        case .integer(let v): .integer(v)
        case .decimal(let v): .decimal(v)
        case .boolean(let v): .boolean(v)
        case .date(let v): .date(v)
        }
    }
}

extension LeadQuery {
    /// The domain's reading of a ListLeads filter and sort, with a violation per bad part.
    init(filter f: LeadsV1.LeadFilter, sort: [RpcV1.SortKey], now: Int64, configuration: LeadConfiguration, into v: inout Violations) {
        self.init()
        switch f.view {
        case .unspecified: view = .visible
        case .mine: view = .mine
        case .unit: view = .unit
        case .all: view = .all
        case .unread: view = .unread
        case .converted: view = .converted
        case .recentlyCreated: view = .recentlyCreated
        case .unrecognized: v.add("filter.view", "is not a known view")
        }
        TextLimit(characters: 200).check(f.text, field: "filter.text", into: &v)
        words = f.text.split(whereSeparator: \.isWhitespace).prefix(10).map(String.init)
        let lists: [([String], String)] = [
            (f.countries, "countries"), (f.regions, "regions"), (f.provinces, "provinces"), (f.postalCodes, "postal_codes"),
            (f.campaigns, "campaigns"), (f.channels, "channels"), (f.locales, "locales"),
        ]
        for (values, name) in lists {
            if values.count > 100 { v.add("filter.\(name)", "must have at most 100 values") }
            // Each value bounded in bytes too: a 60,000-byte LIKE pattern is "too complex" for SQLite.
            let limit = TextLimit(characters: name == "postal_codes" ? 21 : 200)
            for (i, value) in values.prefix(100).enumerated() { limit.check(value, field: "filter.\(name)[\(i)]", into: &v) }
        }
        let idLists: [([Int64], String)] = [
            (f.sourceTypeIds, "source_type_ids"), (f.typeIds, "type_ids"), (f.categoryIds, "category_ids"), (f.statusIds, "status_ids"),
            (f.ownerIds, "owner_ids"), (f.assignedUnitIds, "assigned_unit_ids"), (f.assignedUserIds, "assigned_user_ids"), (f.ids, "ids"),
        ]
        for (values, name) in idLists where values.count > 1000 { v.add("filter.\(name)", "must have at most 1,000 values") }
        countries = f.countries.map { $0.uppercased() }
        for (i, code) in countries.enumerated().prefix(100) where !CountryCode.isAssigned(code) {
            v.add("filter.countries[\(i)]", "must be an ISO 3166-1 alpha-2 country code such as ES (\(code.prefix(10)) is none, so it could match no lead)")
        }
        let known = Set(configuration.statuses.map(\.id))
        for (i, id) in f.statusIds.enumerated().prefix(1000) where !known.contains(id) {
            v.add("filter.status_ids[\(i)]", "names no status (\(id))")
        }
        regions = f.regions
        provinces = f.provinces
        postalCodes = f.postalCodes
        campaigns = f.campaigns
        channels = f.channels
        locales = f.locales
        sourceTypeIDs = f.sourceTypeIds
        typeIDs = f.typeIds
        categoryIDs = f.categoryIds
        statusIDs = f.statusIds
        states = f.states.enumerated().compactMap { i, s in
            guard let state = LifecycleState(s) else { v.add("filter.states[\(i)]", "is not a life-cycle state"); return nil }
            return state
        }
        ownerIDs = f.ownerIds
        assignedUnitIDs = f.assignedUnitIds
        assignedUserIDs = f.assignedUserIds
        ids = f.ids
        func range(_ r: RpcV1.TimeRange?, _ name: String) -> Range {
            guard let r else { return Range() }
            if r.fromMs < 0 || r.toMs < 0 || (r.toMs != 0 && r.toMs < r.fromMs) { v.add("filter.\(name)", "must be a range with from_ms <= to_ms") }
            return Range(from: r.fromMs, to: r.toMs)
        }
        created = range(f.created, "created")
        updated = range(f.updated, "updated")
        contactOn = range(f.contactOn, "contact_on")
        expectedCompletion = range(f.expectedCompletion, "expected_completion")
        if f.overdueOnly { overdueAsOf = f.overdueAsOf > 0 ? f.overdueAsOf : now }
        unassignedOnly = f.unassignedOnly
        importedOnly = f.importedOnly
        if !(0...10).contains(f.minPriority) { v.add("filter.min_priority", "must be from 0 to 10") }
        if !(0...8).contains(f.minImportance) { v.add("filter.min_importance", "must be from 0 to 8") }
        minPriority = f.minPriority
        minImportance = f.minImportance
        if f.customFields.count > 20 { v.add("filter.custom_fields", "must have at most 20 conditions") }
        customConditions = f.customFields.enumerated().compactMap { i, c in Self.condition(c, at: "filter.custom_fields[\(i)]", configuration, into: &v) }
        if sort.count > 5 { v.add("sort", "must have at most 5 keys") }
        self.sort = sort.enumerated().compactMap { i, key in
            guard LeadQuery.sortable.contains(key.field) else {
                v.add("sort[\(i)].field", "must be one of \(LeadQuery.sortable.sorted().joined(separator: ", "))")
                return nil
            }
            return (key.field, key.descending)
        }
    }
}

extension LeadQuery {
    /// A custom-field condition with its values read as the field's type.
    static func condition(_ c: LeadsV1.CustomFieldFilter, at p: String, _ configuration: LeadConfiguration, into v: inout Violations) -> CustomCondition? {
        guard let definition = configuration.customFields.first(where: { $0.key == c.key }) else {
            v.add("\(p).key", "names no custom field (\(c.key))")
            return nil
        }
        if c.equals.count > 100 { v.add("\(p).equals", "must have at most 100 values") }
        var condition = CustomCondition(key: c.key, type: definition.type)
        func value(_ text: String, _ field: String) -> LeadRecord.CustomValue? {
            let before = v.all.count
            TextLimit(characters: 1000).check(text, field: "\(p).\(field)", into: &v)
            guard v.all.count == before else { return nil }
            guard let value = LeadRecord.CustomValue.parse(text, as: definition.type) else {
                v.add("\(p).\(field)", "must be a \(definition.type.rawValue) value for \(c.key)")
                return nil
            }
            return value
        }
        condition.equals = c.equals.enumerated().compactMap { i, text in value(text, "equals[\(i)]") }
        let ordered: Set<CustomFieldType> = [.integer, .decimal, .date]
        for (text, field) in [(c.min, "min"), (c.max, "max")] where !text.isEmpty {
            guard ordered.contains(definition.type) else {
                v.add("\(p).\(field)", "applies only to integer, decimal and date fields")
                continue
            }
            if field == "min" { condition.min = value(text, field) } else { condition.max = value(text, field) }
        }
        if c.equals.isEmpty && c.min.isEmpty && c.max.isEmpty { v.add("\(p)", "give equals, min or max") }
        return condition
    }
}
