import Foundation
import Testing

/// The `crm` binary of this build (or another of its executables), run as a person or a script
/// would run it.
struct CLI {
    var environment: [String: String]
    /// Variables of this process the command must not inherit.
    var removing: Set<String> = []
    var executable = "crm"

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs `crm arguments...` with `input` on standard input, off the cooperative pool.
    func run(_ arguments: String..., input: String = "") async throws -> Result {
        try await run(arguments: arguments, input: input)
    }

    func run(arguments: [String], input: String = "") async throws -> Result {
        let process = Process()
        process.executableURL = ServiceProcess.productsFolder.appendingPathComponent(executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !removing.contains($0.key) }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                    stdin.fileHandleForWriting.write(Data(input.utf8))
                    try? stdin.fileHandleForWriting.close()
                    let out = stdout.fileHandleForReading.readDataToEndOfFile()
                    let err = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Result(status: process.terminationStatus, out: String(decoding: out, as: UTF8.self), err: String(decoding: err, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

@Suite("crm, the command line, against a real crm-leads", .timeLimit(.minutes(3)))
struct CLITests {
    @Test("log in, add, list, start a lead, note it, read its history; errors are sentences with exit codes by kind")
    func session() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // crm-activities is not running: its address is a port nothing listens on.
        let nothing = "127.0.0.1:\(try freePort())"
        let leads = try await ServiceProcess("crm-leads", arguments: ["--password-rounds", "1000", "--peer", "activities=\(nothing)"], environment: [
            "CRM_AUTH_SECRET": String(repeating: "c", count: 48), "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path,
            "CRM_ADMIN_PASSWORD": "first-admin-pass",
        ])
        let crm = CLI(environment: ["CRM_LEADS_ADDRESS": "127.0.0.1:\(leads.port)", "CRM_ACTIVITIES_ADDRESS": nothing, "XDG_CONFIG_HOME": folder.appendingPathComponent("config").path])

        let anonymous = try await crm.run("leads", "list")
        #expect(anonymous.status == 3 && anonymous.err.contains("crm login"))
        let wrong = try await crm.run("login", "admin", input: "not-the-password\n")
        #expect(wrong.status == 3 && wrong.err.contains("wrong login or password") && !wrong.err.contains("crm login"), "\(wrong.err)")
        let login = try await crm.run("login", "admin", input: "first-admin-pass\n")
        #expect(login.status == 0 && login.out.contains("Logged in"), "\(login.err)")
        let session = folder.appendingPathComponent("config/crm/session.json").path
        let permissions = try FileManager.default.attributesOfItem(atPath: session)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        // A second session kept beside the first, chosen with --profile or CRM_PROFILE.
        let second = try await crm.run("login", "--profile", "backoffice", "admin", input: "first-admin-pass\n")
        #expect(second.status == 0 && second.out.contains("in profile backoffice"), "\(second.err)")
        #expect(try await crm.run("logout", "--profile", "backoffice").status == 0)
        let gone = try await crm.run("whoami", "--profile", "backoffice")
        #expect(gone.status == 3 && gone.err.contains("crm login --profile backoffice"), "\(gone.err)")
        #expect(try await crm.run("whoami").status == 0)  // the default session is untouched
        #expect(try await crm.run("whoami", "--profile", "Bad Name").status == 64)
        let whoami = try await crm.run("whoami", "--json")
        let me = try JSONSerialization.jsonObject(with: Data(whoami.out.utf8)) as? [String: Any]
        #expect(me?["login"] as? String == "admin" && me?["role"] as? String == "ROLE_ADMIN")

        let added = try await crm.run("leads", "add", "Ana Pérez", "--company", "Acme", "--email", "ana@acme.com", "--country", "ES", "--json")
        #expect(added.status == 0, "\(added.err)")
        let lead = try JSONSerialization.jsonObject(with: Data(added.out.utf8)) as? [String: Any]
        let id = try #require(lead?["id"] as? Int)
        _ = try await crm.run("leads", "add", "Bea Gil", "--country", "PT")
        let list = try await crm.run("leads", "list", "--country", "ES", "--json")
        let listed = try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [String: Any]
        #expect((listed?["leads"] as? [[String: Any]])?.map { $0["full_name"] as? String } == ["Ana Pérez"])
        let table = try await crm.run("leads", "list")
        #expect(table.out.contains("Bea Gil") && table.out.contains("2 of 2 leads"))

        #expect(try await crm.run("leads", "start", String(id)).status == 0)
        // Winning asks crm-activities for open work first, and fails closed while it is not running.
        let win = try await crm.run("leads", "win", String(id))
        #expect(win.status == 4 && win.err.contains("service unavailable"), "\(win.err)")
        #expect(try await crm.run("leads", "note", String(id), "Sent the offer").status == 0)
        let history = try await crm.run("leads", "history", String(id))
        #expect(history.out.contains("started") && history.out.contains("state") && history.out.contains("in_progress"), "\(history.out)")

        let missing = try await crm.run("leads", "show", "9999")
        #expect(missing.status == 2 && missing.err.contains("not found"))
        let bad = try await crm.run("leads", "add", "", "--email", "nope")
        #expect(bad.status == 64 && bad.err.contains("lead.full_name") && bad.err.contains("lead.emails[0]"))
        // Amounts are parsed or refused, never cut at a comma.
        let comma = try await crm.run("leads", "add", "Carla Ruiz", "--amount", "1200,50 EUR", "--json")
        #expect(comma.status == 0 && comma.out.contains("\"amount_minor\": 120050,"), "\(comma.out)\(comma.err)")
        let ambiguous = try await crm.run("leads", "add", "Dan Gil", "--amount", "1.200,50 EUR")
        #expect(ambiguous.status == 64 && ambiguous.err.contains("--amount"), "\(ambiguous.err)")
        let usage = try await crm.run("leads", "list", "--mine", "--all")
        #expect(usage.status == 64)
        // Deleting asks first; without a terminal it needs --yes.
        let carla = try #require((try JSONSerialization.jsonObject(with: Data(comma.out.utf8)) as? [String: Any])?["id"] as? Int)
        let unconfirmed = try await crm.run("leads", "delete", String(carla))
        #expect(unconfirmed.status == 64 && unconfirmed.err.contains("--yes") && unconfirmed.err.contains("Carla Ruiz"), "\(unconfirmed.err)")
        #expect(try await crm.run("leads", "show", String(carla)).status == 0)
        let confirmed = try await crm.run("leads", "delete", String(carla), "--yes")
        #expect(confirmed.status == 0 && confirmed.out.contains("Deleted lead \(carla)"), "\(confirmed.err)")
        #expect(try await crm.run("leads", "show", String(carla)).status == 2)

        // A user changes their own password.
        let wrongCurrent = try await crm.run("password", input: "not-it\nnew-admin-pass-1\nnew-admin-pass-1\n")
        #expect(wrongCurrent.status == 3 && wrongCurrent.err.contains("current password is not right"), "\(wrongCurrent.err)")
        let mismatch = try await crm.run("password", input: "first-admin-pass\nnew-admin-pass-1\nnew-admin-pass-2\n")
        #expect(mismatch.status == 64 && mismatch.err.contains("differ"), "\(mismatch.err)")
        let changed = try await crm.run("password", input: "first-admin-pass\nnew-admin-pass-1\nnew-admin-pass-1\n")
        #expect(changed.status == 0 && changed.out.contains("Password changed"), "\(changed.err)")
        #expect(try await crm.run("login", "admin", input: "new-admin-pass-1\n").status == 0)
        #expect(try await crm.run("login", "admin", input: "first-admin-pass\n").status == 3)

        // A service that is not running is named, with what to do, without the socket's error.
        let notRunning = try await crm.run("activities", "list")
        #expect(notRunning.status == 4 && notRunning.err.contains("crm-activities is not answering at \(nothing): is `crm up` running?") && !notRunning.err.contains("errno"), "\(notRunning.err)")
        // crm-leads serves; crm-activities is built but not running here, and status says so.
        let status = try await crm.run("status")
        #expect(status.out.contains("serving") && status.status == 4 && status.err.contains("crm-activities"), "\(status.out)\(status.err)")

        // Without the variable, the address comes from the config file; a bad one is named with its line.
        let configFile = folder.appendingPathComponent("config/crm/config")
        var fromFile = crm
        fromFile.environment["CRM_LEADS_ADDRESS"] = nil
        try Data("# where the services are\nleads = 127.0.0.1:\(leads.port)\n".utf8).write(to: configFile)
        let viaFile = try await CLI(environment: fromFile.environment, removing: ["CRM_LEADS_ADDRESS"]).run("whoami")
        #expect(viaFile.status == 0 && viaFile.out.contains("admin"), "\(viaFile.err)")
        try Data("leads = nowhere\n".utf8).write(to: configFile)
        let badFile = try await CLI(environment: fromFile.environment, removing: ["CRM_LEADS_ADDRESS"]).run("whoami")
        #expect(badFile.status == 64 && badFile.err.contains("config: leads nowhere"), "\(badFile.err)")
        try FileManager.default.removeItem(at: configFile)

        #expect(try await crm.run("logout").status == 0)
        #expect(try await crm.run("whoami").status == 3)
        #expect(await leads.terminate() == 0)
        let down = try await crm.run("status")
        #expect(down.status == 4 && down.out.contains("not running") && down.err.contains("not serving: crm-leads"))
    }
}
