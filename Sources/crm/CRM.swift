import ArgumentParser

/// `crm`: the leads system for people. Commands talk to the services over RPC with the token
/// `crm login` keeps; every answer is a table for people, or JSON or CSV for scripts.
@main
struct CRM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm",
        abstract: "Work with leads from the command line, and run the whole system on this machine.",
        discussion: """
            Start with `crm up` (in another terminal) and `crm login admin`. Service addresses come from \
            --leads/--activities/--comms/--reports, CRM_LEADS_ADDRESS and the like, the file \
            $XDG_CONFIG_HOME/crm/config (`leads = HOST:PORT` lines), or the local stack's defaults \
            (127.0.0.1:7701 to 7704).
            Exit codes: 0 done, 1 failed, 2 not found, 3 not allowed (log in, or ask an admin), \
            4 service unavailable, 64 bad usage or input.
            """,
        subcommands: [Up.self, Status.self, Login.self, Logout.self, WhoAmI.self, Password.self, Leads.self, Activities.self, Tasks.self, Incidents.self, Links.self, Work.self, WorkTypes.self, Tags.self, Templates.self, Send.self, Messages.self, Reports.self, Users.self, Units.self, Config.self, Forms.self, Call.self]
    )
}
