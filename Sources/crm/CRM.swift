import ArgumentParser

/// `crm`: the leads system for people. Commands talk to the services over RPC with the token
/// `crm login` keeps; every answer is a table for people or JSON for scripts.
@main
struct CRM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm",
        abstract: "Work with leads from the command line.",
        discussion: """
            Start with `crm login`. Service addresses come from --leads, CRM_LEADS_ADDRESS, or the \
            local stack's default (127.0.0.1:7701).
            Exit codes: 0 done, 1 failed, 2 not found, 3 not allowed (log in, or ask an admin), \
            4 service unavailable, 64 bad usage or input.
            """,
        subcommands: [Login.self, Logout.self, WhoAmI.self, Status.self, Leads.self]
    )
}
