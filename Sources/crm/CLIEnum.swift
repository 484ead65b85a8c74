import CRMWire

/// An enum of the contracts as people type it: "in_progress" for `.inProgress`.
protocol CLIEnum: CaseIterable, Hashable {}

extension CLIEnum {
    /// The case's name in snake_case; "unknown" for values this build does not know.
    var cliName: String {
        let name = String(describing: self)
        guard !name.hasPrefix("unrecognized") else { return "unknown" }
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    /// The names people may type (every case but "unspecified").
    static var cliNames: [String] { allCases.map(\.cliName).filter { $0 != "unspecified" } }

    /// The case named `text` (ignoring case, with "-" for "_"), or a usage failure naming `option`
    /// and the choices.
    init(cliName text: String, option: String) throws {
        let wanted = text.lowercased().replacingOccurrences(of: "-", with: "_")
        guard let match = Self.allCases.first(where: { $0.cliName == wanted && $0.cliName != "unspecified" }) else {
            throw CLIFailure(.usage, "\(option) must be one of \(Self.cliNames.joined(separator: ", ")) (got \"\(text)\")")
        }
        self = match
    }
}

extension LeadsV1.LifecycleState: CLIEnum {}
extension LeadsV1.Role: CLIEnum {}
extension LeadsV1.UnitKind: CLIEnum {}
extension LeadsV1.CatalogKind: CLIEnum {}
extension LeadsV1.LeadView: CLIEnum {}
extension LeadsV1.ImportMode: CLIEnum {}
