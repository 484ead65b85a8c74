import LeadsDomain
import CRMAPI
import CRMDomain
import CRMRPC
import CRMService
import CRMWire

/// Users and units: `crm.leads.v1.Directory`. Changes need the admin role; reads any role.
struct DirectoryHandler: LeadsV1.Directory.ServiceProtocol {
    let env: Environment

    func createUser(request: LeadsV1.CreateUserRequest, context: ServerContext) async throws -> LeadsV1.User {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        var violations = Violations()
        let draft = UserRecord(login: "", name: "", email: "", role: .agent, unitID: 0, active: true)
        var user = draft.applying(request.user ?? LeadsV1.UserInput(), mask: [], prefix: "user", into: &violations)
        user = DirectoryRules.normalised(user, prefix: "user", into: &violations)
        PasswordHasher.check(request.password, field: "password", into: &violations)
        try violations.check()
        let hasher = env.hasher
        let hash = try await env.signIn.hash { hasher.hash(request.password) }
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { [user] db in
            let saved = try DirectoryStore.insert(db, user: user, passwordHash: hash, now: now)
            try appendEvent(db, .userChanged(saved, actor: caller.userID, at: now))
            return saved.wire
        }
    }

    func updateUser(request: LeadsV1.UpdateUserRequest, context: ServerContext) async throws -> LeadsV1.User {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        var violations = Violations()
        if request.id <= 0 { violations.add("id", "must be a user's id") }
        if request.version <= 0 { violations.add("version", "must be the version you read") }
        try violations.check()
        let now = env.clock.millis()
        // The account check of this process sees the change at once (others within seconds).
        defer { env.accounts.forget(request.id) }
        return try await env.mutate(context, caller: caller) { db in
            guard let current = try DirectoryStore.user(db, id: request.id) else { throw DomainError.notFound("no user with id \(request.id)") }
            var violations = Violations()
            var user = current.applying(request.user ?? LeadsV1.UserInput(), mask: request.updateMask, prefix: "user", into: &violations)
            user = DirectoryRules.normalised(user, prefix: "user", into: &violations)
            if user.id == caller.userID && (!user.active || user.role != .admin) {
                violations.add("user", "an admin cannot deactivate or demote themselves")
            }
            try violations.check()
            let saved = try DirectoryStore.update(db, user: user, expectedVersion: request.version, now: now)
            try appendEvent(db, .userChanged(saved, actor: caller.userID, at: now))
            return saved.wire
        }
    }

    func setPassword(request: LeadsV1.SetPasswordRequest, context: ServerContext) async throws -> LeadsV1.SetPasswordResponse {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        var violations = Violations()
        if request.id <= 0 { violations.add("id", "must be a user's id") }
        PasswordHasher.check(request.password, field: "password", into: &violations)
        try violations.check()
        let hasher = env.hasher
        let hash = try await env.signIn.hash { hasher.hash(request.password) }
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            guard try DirectoryStore.user(db, id: request.id) != nil else { throw DomainError.notFound("no user with id \(request.id)") }
            try DirectoryStore.setPasswordHash(db, userID: request.id, hash: hash, now: now)
            return LeadsV1.SetPasswordResponse()
        }
    }

    func getUser(request: LeadsV1.GetUserRequest, context: ServerContext) async throws -> LeadsV1.User {
        _ = try context.caller()
        guard let user = try await env.database.read({ db in try DirectoryStore.user(db, id: request.id) }) else {
            throw DomainError.notFound("no user with id \(request.id)")
        }
        return user.wire
    }

    func listUsers(request: LeadsV1.ListUsersRequest, context: ServerContext) async throws -> LeadsV1.ListUsersResponse {
        let caller = try context.caller()
        var violations = Violations()
        let (cursor, limit, fingerprint) = PageCursor.window(request, caller: caller, into: &violations)
        var filter = DirectoryStore.UserFilter(unitID: request.unitId, activeOnly: request.activeOnly, text: request.text)
        if request.role != .unspecified {
            if let role = Role(request.role) { filter.role = role } else { violations.add("role", "is not a known role") }
        }
        TextLimit(characters: 200).check(request.text, field: "text", into: &violations)
        try violations.check()
        let (users, next) = try await env.database.read { [filter] db in
            try DirectoryStore.users(db, filter: filter, after: cursor, limit: limit, fingerprint: fingerprint)
        }
        return LeadsV1.ListUsersResponse(users: users.map(\.wire), nextPageToken: next?.token ?? "")
    }

    func createUnit(request: LeadsV1.CreateUnitRequest, context: ServerContext) async throws -> LeadsV1.Unit {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        var violations = Violations()
        var unit = UnitRecord(name: "", kind: .team, managerID: 0, active: true)
            .applying(request.unit ?? LeadsV1.UnitInput(), mask: [], prefix: "unit", into: &violations)
        unit = DirectoryRules.normalised(unit, prefix: "unit", into: &violations)
        try violations.check()
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { [unit] db in
            let saved = try DirectoryStore.insert(db, unit: unit, now: now)
            try appendEvent(db, .unitChanged(saved, actor: caller.userID, at: now))
            return saved.wire
        }
    }

    func updateUnit(request: LeadsV1.UpdateUnitRequest, context: ServerContext) async throws -> LeadsV1.Unit {
        let caller = try context.caller()
        try DirectoryRules.requireAdmin(caller)
        var violations = Violations()
        if request.id <= 0 { violations.add("id", "must be a unit's id") }
        if request.version <= 0 { violations.add("version", "must be the version you read") }
        try violations.check()
        let now = env.clock.millis()
        return try await env.mutate(context, caller: caller) { db in
            guard let current = try DirectoryStore.unit(db, id: request.id) else { throw DomainError.notFound("no unit with id \(request.id)") }
            var violations = Violations()
            var unit = current.applying(request.unit ?? LeadsV1.UnitInput(), mask: request.updateMask, prefix: "unit", into: &violations)
            unit = DirectoryRules.normalised(unit, prefix: "unit", into: &violations)
            try violations.check()
            let saved = try DirectoryStore.update(db, unit: unit, expectedVersion: request.version)
            try appendEvent(db, .unitChanged(saved, actor: caller.userID, at: now))
            return saved.wire
        }
    }

    func getUnit(request: LeadsV1.GetUnitRequest, context: ServerContext) async throws -> LeadsV1.Unit {
        _ = try context.caller()
        guard let unit = try await env.database.read({ db in try DirectoryStore.unit(db, id: request.id) }) else {
            throw DomainError.notFound("no unit with id \(request.id)")
        }
        return unit.wire
    }

    func listUnits(request: LeadsV1.ListUnitsRequest, context: ServerContext) async throws -> LeadsV1.ListUnitsResponse {
        let caller = try context.caller()
        var violations = Violations()
        let (cursor, limit, fingerprint) = PageCursor.window(request, caller: caller, into: &violations)
        var kind: UnitKind? = nil
        if request.kind != .unspecified {
            if let k = UnitKind(request.kind) { kind = k } else { violations.add("kind", "is not a known unit kind") }
        }
        try violations.check()
        let (units, next) = try await env.database.read { [kind] db in
            try DirectoryStore.units(db, kind: kind, activeOnly: request.activeOnly, after: cursor, limit: limit, fingerprint: fingerprint)
        }
        return LeadsV1.ListUnitsResponse(units: units.map(\.wire), nextPageToken: next?.token ?? "")
    }
}

import GRDB

/// Appends a leads-feed event in the transaction of the change it describes.
func appendEvent(_ db: Database, _ event: LeadsV1.LeadEvent) throws {
    try EventOutbox.append(db, type: event.type.protoValue, entityID: event.entityId, actorID: event.actorId, at: event.at, payload: event.serializedBytes())
}
