import ArgumentParser
import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation

/// Names for what work carries (types from crm-activities, users from crm-leads), and the
/// lookups that turn the names people type into ids.
struct WorkNames {
    var types: [ActivitiesV1.WorkType] = []
    var users: [Int64: String] = [:]

    static func load(_ connection: ConnectionOptions, _ options: CallOptions, users: Bool = true) async throws -> WorkNames {
        var names = WorkNames()
        names.types = try await connection.with(.activities) { rpc in
            try await ActivitiesV1.Activities.Client(rpc).listWorkTypes(ActivitiesV1.ListWorkTypesRequest(), options: options).workTypes
        }
        if users {
            names.users = try await connection.withLeads { rpc in
                let page = try await LeadsV1.Directory.Client(rpc).listUsers(LeadsV1.ListUsersRequest(pageSize: 500), options: options)
                return Dictionary(page.users.map { ($0.id, $0.login) }, uniquingKeysWith: { a, _ in a })
            }
        }
        return names
    }

    func type(_ id: Int64) -> String { id == 0 ? "" : types.first { $0.id == id }?.name ?? "type \(id)" }
    func user(_ id: Int64) -> String { id == 0 ? "" : users[id] ?? "user \(id)" }

    /// The id of the type of `scope` named `text` (a name, any case, or an id).
    func typeID(_ text: String?, scope: ActivitiesV1.TypeScope, option: String) throws -> Int64 {
        guard let text else { return 0 }
        let candidates = types.filter { $0.scope == scope }
        if let id = Int64(text), candidates.contains(where: { $0.id == id }) { return id }
        if let match = candidates.first(where: { $0.name.lowercased() == text.lowercased() }) {
            guard match.active else { throw CLIFailure(.usage, "\(option) \(text) is retired; one of: \(Self.list(candidates))") }
            return match.id
        }
        throw CLIFailure(.usage, "\(option) must be one of: \(Self.list(candidates)) (got \"\(text)\")")
    }

    private static func list(_ types: [ActivitiesV1.WorkType]) -> String {
        types.filter(\.active).map(\.name).joined(separator: ", ")
    }

    /// The id of the user `text` names (a login or an id); 0 for nil.
    func userID(_ text: String?, option: String) throws -> Int64 {
        guard let text else { return 0 }
        if let id = Int64(text), id > 0 { return id }
        if let match = users.first(where: { $0.value.lowercased() == text.lowercased() }) { return match.key }
        throw CLIFailure(.usage, "\(option) names no user \"\(text)\" (give a login or an id)")
    }
}

/// Times as people type and read them: ISO 8601, in the local time zone (TZ) unless the text
/// names one.
enum CLITime {
    static func parse(_ text: String?, _ option: String) throws -> Int64 {
        guard let text else { return 0 }
        // A date and time without a zone is local time; a date alone, or a zone, is as written.
        let timePart = text.split(whereSeparator: { $0 == "T" || $0 == " " }).dropFirst().first ?? ""
        let hasZone = timePart.contains("Z") || timePart.contains("+") || timePart.contains("-")
        guard !timePart.isEmpty, !hasZone else { return try LeadFilterOptions.time(text, option) }
        guard let utc = Timestamp.parse(text + "Z") else {
            throw CLIFailure(.usage, "\(option) must be a date or a local time such as 2026-01-31 or 2026-01-31 09:00, or a time with a zone such as 2026-01-31T09:00:00Z (got \"\(text)\")")
        }
        let offset = TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc) / 1000))
        return utc - Int64(offset) * 1000
    }
}

/// "lead:12", "task:3": one end of a link.
func entityRef(_ text: String, _ option: String) throws -> RpcV1.EntityRef {
    let parts = text.lowercased().split(separator: ":")
    let kinds: [String: RpcV1.EntityKind] = ["lead": .lead, "activity": .activity, "task": .task, "incident": .incident]
    guard parts.count == 2, let kind = kinds[String(parts[0])], let id = Int64(parts[1]), id > 0 else {
        throw CLIFailure(.usage, "\(option) must be KIND:ID with KIND lead, activity, task or incident, such as lead:12 (got \"\(text)\")")
    }
    return RpcV1.EntityRef(kind: kind, id: id)
}

func showEntity(_ ref: RpcV1.EntityRef?) -> String {
    guard let ref else { return "" }
    let kind = ref.kind.protoName.replacingOccurrences(of: "ENTITY_KIND_", with: "").lowercased()
    return "\(kind) \(ref.id)"
}

/// A duration such as "1h 20m" for how long something is overdue.
func showDuration(_ millis: Int64) -> String {
    guard millis > 0 else { return "" }
    let minutes = millis / 60_000
    if minutes < 60 { return "\(max(minutes, 1))m" }
    let hours = minutes / 60
    if hours < 48 { return "\(hours)h \(minutes % 60)m" }
    return "\(hours / 24)d"
}

/// The enum's .proto name without its prefix, lower case: "WORK_STATUS_OPEN" -> "open".
func cliName(_ protoName: String, prefix: String) -> String {
    protoName.hasPrefix(prefix) ? String(protoName.dropFirst(prefix.count)).lowercased() : protoName.lowercased()
}

/// Parses a name a person typed into an enum by its .proto name.
func parseEnum<E>(_ text: String?, prefix: String, option: String, all: [E], name: (E) -> String) throws -> E? {
    guard let text else { return nil }
    let wanted = prefix + text.uppercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
    if let match = all.first(where: { name($0) == wanted }) { return match }
    let choices = all.map { cliName(name($0), prefix: prefix) }.filter { $0 != "unspecified" }
    throw CLIFailure(.usage, "\(option) must be one of: \(choices.joined(separator: ", ")) (got \"\(text)\")")
}

extension ConnectionOptions {
    /// A call to crm-activities with the saved session.
    func withActivities<T>(changing: Bool = false, _ body: (ActivitiesV1.Activities.Client, CallOptions) async throws -> T) async throws -> T {
        let options = try signedIn(changing: changing)
        return try await with(.activities) { rpc in try await body(ActivitiesV1.Activities.Client(rpc), options) }
    }
}

/// A one-line answer, printed as a table row (so --csv still gives CSV).
func oneLine(_ text: String) -> Table {
    Table(header: ["message"], rows: [[text]], showsHeader: false)
}
