import CRMAPI
import CRMRPC
import Foundation
import Testing

@Suite("Interop with a client written in C", .timeLimit(.minutes(3)))
struct CInteropTests {
    /// The folder holding the products of this build (the test bundle sits beside them).
    static var productsFolder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    @Test("crm-interop-c calls Health, Echo (two in flight, the first cancelled), EchoStream and an unknown method on a Swift server")
    func cClient() async throws {
        var router = RPCRouter()
        router.register(EchoService())
        let server = RPCServer(configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0), router: router)
        try await server.start()

        let binary = Self.productsFolder.appendingPathComponent("crm-interop-c")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build crm-interop-c first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["127.0.0.1", String(server.port!)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        await server.shutdown()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("all interop checks passed"))
        #expect(!text.contains("FAILED"), "\(text)")
    }
}
