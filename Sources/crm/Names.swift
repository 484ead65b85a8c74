import CRMAPI
import CRMRPC
import CRMWire

/// Names for the ids a lead carries (types, statuses, catalog entries, users), so that tables
/// read "Qualified" rather than "status 3". Ids without a name show as the id.
struct Names {
    var types: [Int64: String] = [:]
    var statuses: [Int64: String] = [:]
    var catalog: [Int64: String] = [:]
    var users: [Int64: String] = [:]
    var units: [Int64: String] = [:]
    var customTypes: [String: LeadsV1.CustomFieldType] = [:]

    /// Reads the configuration, the users and the units (the first 500 of each) from crm-leads.
    static func load(_ rpc: RPCClient, _ options: CallOptions) async throws -> Names {
        let config = try await LeadsV1.LeadConfig.Client(rpc).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options)
        let users = try await LeadsV1.Directory.Client(rpc).listUsers(LeadsV1.ListUsersRequest(pageSize: 500), options: options)
        let units = try await LeadsV1.Directory.Client(rpc).listUnits(LeadsV1.ListUnitsRequest(pageSize: 500), options: options)
        var names = Names()
        for t in config.types { names.types[t.id] = t.name }
        for s in config.statuses { names.statuses[s.id] = s.name }
        for c in config.catalog { names.catalog[c.id] = c.name }
        for f in config.customFields { names.customTypes[f.key] = f.type }
        for u in users.users { names.users[u.id] = u.login }
        for u in units.units { names.units[u.id] = u.name }
        return names
    }

    func type(_ id: Int64) -> String { id == 0 ? "" : types[id] ?? String(id) }
    func status(_ id: Int64) -> String { id == 0 ? "" : statuses[id] ?? String(id) }
    func catalog(_ id: Int64) -> String { id == 0 ? "" : catalog[id] ?? String(id) }
    func user(_ id: Int64) -> String { id == 0 ? "" : users[id] ?? "user \(id)" }
    func unit(_ id: Int64) -> String { id == 0 ? "" : units[id] ?? "unit \(id)" }
}

extension ConnectionOptions {
    /// Signs in, runs `body` against crm-leads, and reads the names a table of its answer needs
    /// (none when the answer prints as JSON).
    func withLeads<T>(naming output: OutputOptions, changing: Bool = false,
                      _ body: (LeadsV1.Leads.Client, CallOptions) async throws -> T) async throws -> (T, Names) {
        let options = try signedIn(changing: changing)
        return try await withLeads { rpc in
            let value = try await body(LeadsV1.Leads.Client(rpc), options)
            return (value, output.json ? Names() : try await Names.load(rpc, options))
        }
    }
}
