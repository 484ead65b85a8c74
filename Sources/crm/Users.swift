import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and manage users (adding and changing them is for admins).",
        subcommands: [List.self, Add.self, Edit.self, Password.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @Option(help: "Only this unit's users (its id).") var unit: Int64 = 0
        @Option(help: ArgumentHelp("Only this role: \(LeadsV1.Role.cliNames.joined(separator: ", ")).", valueName: "role")) var role: String?
        @Option(help: "Words in the login, name or e-mail.") var text = ""
        @Flag(help: "Include inactive users.") var inactive = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let request = LeadsV1.ListUsersRequest(unitId: unit, role: try role.map { try LeadsV1.Role(cliName: $0, option: "--role") } ?? .unspecified,
                                                       activeOnly: !inactive, text: text, pageSize: 500)
                let options = try connection.signedIn()
                let (users, names) = try await connection.withLeads { rpc in
                    (try await LeadsV1.Directory.Client(rpc).listUsers(request, options: options), output.json ? Names() : try await Names.load(rpc, options))
                }
                try output.print(users, Table(header: ["id", "login", "name", "e-mail", "role", "unit", "active"], rows: users.users.map { row($0, names) }))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user; the password is asked for (or read from the first line of standard input).")
        @Argument(help: "The login.") var login: String
        @Option(help: "The full name.") var name: String
        @Option(help: "The e-mail address.") var email = ""
        @Option(help: ArgumentHelp("The role: \(LeadsV1.Role.cliNames.joined(separator: ", ")).", valueName: "role")) var role: String
        @Option(help: "The unit's id.") var unit: Int64 = 0
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let input = LeadsV1.UserInput(login: login, name: name, email: email, role: try LeadsV1.Role(cliName: role, option: "--role"), unitId: unit, active: true)
                let password = try readPassword("Password for \(login): ")
                let options = try connection.signedIn(changing: true)
                let (user, names) = try await connection.withLeads { rpc in
                    (try await LeadsV1.Directory.Client(rpc).createUser(LeadsV1.CreateUserRequest(user: input, password: password), options: options),
                     output.json ? Names() : try await Names.load(rpc, options))
                }
                try output.print(user, userDetails(user, names))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user: only the options given change.")
        @Argument(help: "The user's id.") var id: Int64
        @Option(help: "The full name.") var name: String?
        @Option(help: "The e-mail address.") var email: String?
        @Option(help: ArgumentHelp("The role: \(LeadsV1.Role.cliNames.joined(separator: ", ")).", valueName: "role")) var role: String?
        @Option(help: "The unit's id (0 for none).") var unit: Int64?
        @Flag(inversion: .prefixedEnableDisable, help: "Let the user sign in, or not.") var active: Bool?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                var input = LeadsV1.UserInput(name: name ?? "", email: email ?? "", unitId: unit ?? 0, active: active ?? false)
                if let role { input.role = try LeadsV1.Role(cliName: role, option: "--role") }
                let mask = [("name", name != nil), ("email", email != nil), ("role", role != nil), ("unit_id", unit != nil), ("active", active != nil)]
                    .filter(\.1).map(\.0)
                guard !mask.isEmpty else { throw CLIFailure(.usage, "give at least one of --name, --email, --role, --unit, --enable-active, --disable-active") }
                let options = try connection.signedIn()
                let (user, names) = try await connection.withLeads { rpc in
                    let client = LeadsV1.Directory.Client(rpc)
                    let current = try await client.getUser(LeadsV1.GetUserRequest(id: id), options: options)
                    return (try await client.updateUser(LeadsV1.UpdateUserRequest(id: id, version: current.version, user: input, updateMask: mask),
                                                        options: options.with(idempotencyKey: UUID().uuidString)),
                            output.json ? Names() : try await Names.load(rpc, options))
                }
                try output.print(user, userDetails(user, names))
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (asked for, or the first line of standard input).")
        @Argument(help: "The user's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let password = try readPassword("New password for user \(id): ")
                let options = try connection.signedIn(changing: true)
                _ = try await connection.withLeads { rpc in
                    try await LeadsV1.Directory.Client(rpc).setPassword(LeadsV1.SetPasswordRequest(id: id, password: password), options: options)
                }
                print("Password of user \(id) set.")
            }
        }
    }
}

private func row(_ u: LeadsV1.User, _ names: Names) -> [String] {
    [String(u.id), u.login, u.name, u.email, u.role.cliName, names.unit(u.unitId), u.active ? "yes" : "no"]
}

private func userDetails(_ u: LeadsV1.User, _ names: Names) -> Table {
    details([("id", String(u.id)), ("login", u.login), ("name", u.name), ("e-mail", u.email), ("role", u.role.cliName),
             ("unit", names.unit(u.unitId)), ("active", u.active ? "yes" : "no"), ("version", String(u.version))])
}
