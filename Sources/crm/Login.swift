import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in and keep the token for the next commands.",
        discussion: "The password is asked for on a terminal, or read from the first line of standard input (for scripts).")

    @Argument(help: "Your login.")
    var login: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let password = try readPassword("Password for \(login): ")
            let response: LeadsV1.LoginResponse
            do {
                response = try await connection.withLeads { rpc in
                    try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: login, password: password), options: CallOptions(timeout: .seconds(30)))
                }
            } catch let error as RPCError where error.code == .unauthenticated {
                throw CLIFailure(.notAllowed, "wrong login or password for \(login)")
            }
            try Session(login: login, token: response.token, expiresAt: response.expiresAt).save(profile: connection.profile)
            print("Logged in as \(response.user?.name ?? login) (\(response.user?.role.cliName ?? ""))\(connection.profile.map { " in profile \($0)" } ?? "").")
        }
    }
}

/// A password: asked for with echo off on a terminal, else the first line of standard input.
func readPassword(_ prompt: String) throws -> String {
    if isatty(STDIN_FILENO) == 1 {
        guard let pointer = getpass(prompt) else { throw CLIFailure(.usage, "no password given") }
        return String(cString: pointer)
    }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIFailure(.usage, "give the password on the first line of standard input")
    }
    return line
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Forget the saved token (of --profile NAME, if given).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            try Session.remove(profile: connection.profile)
            print("Logged out\(connection.profile.map { " of profile \($0)" } ?? "").")
        }
    }
}

struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who the saved token signs you in as.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let options = try connection.signedIn()
            let (user, unit) = try await connection.withLeads { rpc in
                let user = try await LeadsV1.Auth.Client(rpc).whoAmI(LeadsV1.WhoAmIRequest(), options: options)
                guard user.unitId != 0 else { return (user, "") }
                // The unit by name; an agent may not read units, and then its id is all there is.
                let unit = try? await LeadsV1.Directory.Client(rpc).getUnit(LeadsV1.GetUnitRequest(id: user.unitId), options: options)
                return (user, unit?.name ?? "unit \(user.unitId)")
            }
            if output.json {
                try output.printJSON(user)
            } else {
                print("\(user.name) (\(user.login)), \(user.role.cliName)\(unit.isEmpty ? "" : ", \(unit)")")
            }
        }
    }
}

/// `crm password`: change your own password.
struct Password: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change your own password.",
        discussion: "Asks for the current password and the new one (twice) on a terminal; without one, reads three lines of standard input: current, new, new again.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let current = try readPassword("Current password: ")
            let new = try readPassword("New password (10-200 characters): ")
            let again = try readPassword("The new password again: ")
            guard new == again else { throw CLIFailure(.usage, "the two new passwords differ: nothing changed") }
            let options = try connection.signedIn(changing: true)
            do {
                _ = try await connection.withLeads { rpc in
                    try await LeadsV1.Auth.Client(rpc).changePassword(LeadsV1.ChangePasswordRequest(currentPassword: current, newPassword: new), options: options)
                }
            } catch let error as RPCError where error.violations.contains(where: { $0.field == "current_password" }) {
                throw CLIFailure(.notAllowed, "the current password is not right: nothing changed")
            }
            print("Password changed. Other sessions keep working until their tokens expire; log in again with the new one.")
        }
    }
}
