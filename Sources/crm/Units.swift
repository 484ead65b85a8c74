import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Units: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and manage units: teams and channels, each with a manager (changes are for admins).",
        subcommands: [List.self, Add.self, Edit.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List units.")
        @Option(help: ArgumentHelp("Only this kind: \(LeadsV1.UnitKind.cliNames.joined(separator: ", ")).", valueName: "kind")) var kind: String?
        @Flag(help: "Include inactive units.") var inactive = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = LeadsV1.ListUnitsRequest(kind: try kind.map { try LeadsV1.UnitKind(cliName: $0, option: "--kind") } ?? .unspecified,
                                                       activeOnly: !inactive, pageSize: 500)
                let options = try connection.signedIn()
                let (units, names) = try await connection.withLeads { rpc in
                    (try await LeadsV1.Directory.Client(rpc).listUnits(request, options: options), try await Names.load(rpc, options))
                }
                try output.print(units, Table(header: ["id", "name", "kind", "manager", "active"], rows: units.units.map {
                    [String($0.id), $0.name, $0.kind.cliName, names.user($0.managerId), $0.active ? "yes" : "no"]
                }))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a unit.")
        @Argument(help: "The unit's name.") var name: String
        @Option(help: ArgumentHelp("The kind: \(LeadsV1.UnitKind.cliNames.joined(separator: ", ")).", valueName: "kind")) var kind = "team"
        @Option(help: ArgumentHelp("The manager: login or id.", valueName: "user")) var manager: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let unitKind = try LeadsV1.UnitKind(cliName: kind, option: "--kind")
                let options = try connection.signedIn(changing: true)
                let unit = try await connection.withLeads { rpc in
                    var managerID: Int64 = 0
                    if let manager { managerID = try await userIDFor(manager, rpc, options) }
                    return (try await LeadsV1.Directory.Client(rpc).createUnit(
                        LeadsV1.CreateUnitRequest(unit: LeadsV1.UnitInput(name: name, kind: unitKind, managerId: managerID, active: true)), options: options),
                            output.json ? Names() : try await Names.load(rpc, options))
                }
                try output.print(unit.0, unitDetails(unit.0, unit.1))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a unit: only the options given change.")
        @Argument(help: "The unit's id.") var id: Int64
        @Option(help: "The name.") var name: String?
        @Option(help: ArgumentHelp("The manager: login or id.", valueName: "user")) var manager: String?
        @Flag(inversion: .prefixedEnableDisable, help: "Whether the unit takes leads.") var active: Bool?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let mask = [("name", name != nil), ("manager_id", manager != nil), ("active", active != nil)].filter(\.1).map(\.0)
                guard !mask.isEmpty else { throw CLIFailure(.usage, "give at least one of --name, --manager, --enable-active, --disable-active") }
                let options = try connection.signedIn()
                let unit = try await connection.withLeads { rpc in
                    let client = LeadsV1.Directory.Client(rpc)
                    var managerID: Int64 = 0
                    if let manager { managerID = try await userIDFor(manager, rpc, options) }
                    let current = try await client.getUnit(LeadsV1.GetUnitRequest(id: id), options: options)
                    let input = LeadsV1.UnitInput(name: name ?? "", managerId: managerID, active: active ?? false)
                    return (try await client.updateUnit(LeadsV1.UpdateUnitRequest(id: id, version: current.version, unit: input, updateMask: mask),
                                                        options: options.with(idempotencyKey: UUID().uuidString)),
                            output.json ? Names() : try await Names.load(rpc, options))
                }
                try output.print(unit.0, unitDetails(unit.0, unit.1))
            }
        }
    }
}

private func unitDetails(_ u: LeadsV1.Unit, _ names: Names) -> Table {
    details([("id", String(u.id)), ("name", u.name), ("kind", u.kind.cliName), ("manager", names.user(u.managerId)),
             ("active", u.active ? "yes" : "no"), ("version", String(u.version))])
}
