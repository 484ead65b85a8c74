import ArgumentParser
import CRMAPI
import CRMRPC
import CRMService

/// crm-echo: the conformance server for client authors. It hosts crm.testing.v1.Echo and Health
/// with the same runtime as every service, so a client written from proto/ and
/// docs/PROTOCOL.md can be tried against it before it talks to a real service.
@main
struct EchoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-echo",
        abstract: "Serves crm.testing.v1.Echo and Health, for testing clients of the CRM services."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let defaults = ServiceSettings(port: 7700)
        let settings = try ServiceMain.settings(SettingsSources(options: options), defaults: defaults)
        ServiceMain.bootstrap(settings)
        var router = RPCRouter()
        router.register(EchoService())
        try await ServiceMain.serve("crm-echo", settings: settings, router: router)
    }
}
