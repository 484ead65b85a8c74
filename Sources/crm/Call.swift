import ArgumentParser
import CRMRPC
import CRMWire
import Foundation

/// `crm call`: any RPC of any service by name, with JSON in and out (like grpcurl).
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call any RPC by name with a JSON request, and print the answer as JSON.",
        discussion: """
            Without a method it lists the services, or a service's methods. The request's members are \
            the request message's field names (see proto/ or --template); enums by name, 64-bit \
            integers as numbers. Streaming answers print one JSON object per line. The saved token \
            and a fresh idempotency key go with every call.
            Examples:
              crm call
              crm call Leads
              crm call Leads CreateLead --template
              crm call Leads CreateLead --json '{"lead": {"full_name": "Ana", "emails": ["ana@acme.com"]}}'
              crm call Leads ListLeads --json @request.json
            """)

    @Argument(help: "The service: its full name (crm.leads.v1.Leads) or short name (Leads).")
    var service: String?

    @Argument(help: "The method, such as CreateLead.")
    var method: String?

    @Option(name: .customLong("json"), help: ArgumentHelp("The request as JSON; @FILE reads it from a file, @- from standard input.", valueName: "json"))
    var request = "{}"

    @Flag(help: "Print the request message with every field at its default instead of calling.")
    var template = false

    @Option(help: ArgumentHelp("Call this address instead of the service's (Health and Echo go to crm-leads unless given).", valueName: "host:port"))
    var address: String?

    @Option(help: ArgumentHelp("The idempotency key to send (default: a fresh one).", valueName: "key"))
    var idempotencyKey: String?

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            guard let serviceName = service else {
                for s in ProtoCatalog.services { print(s.name) }
                return
            }
            guard let found = ProtoCatalog.service(named: serviceName) else {
                throw CLIFailure(.usage, "there is no service \(serviceName); `crm call` lists them")
            }
            guard let methodName = method else {
                var table = Table(header: ["method", "request", "response"])
                for m in found.methods { table.rows.append([m.name, m.input.name, (m.serverStreaming ? "stream " : "") + m.output.name]) }
                print(table.text(), terminator: "")
                return
            }
            guard let rpc = found.method(named: methodName) else {
                throw CLIFailure(.usage, "\(found.name) has no method \(methodName); its methods are \(found.methods.map(\.name).joined(separator: ", "))")
            }
            if template {
                print(ProtoJSON.template(rpc.input).text())
                return
            }
            let body: [UInt8]
            do {
                body = try ProtoJSON.encode(try JSONValue(parsing: try requestText()), as: rpc.input)
            } catch let error as ProtoJSONError {
                throw CLIFailure(.usage, "the request does not fit \(rpc.input.name): \(error)")
            } catch let error as JSONSyntaxError {
                throw CLIFailure(.usage, "--json: \(error)")
            }
            try await call(rpc, body)
        }
    }

    private func requestText() throws -> String {
        guard request.hasPrefix("@") else { return request }
        let path = String(request.dropFirst())
        let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
        guard let data else { throw CLIFailure(.usage, "--json: cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    private func call(_ rpc: ProtoMethod, _ body: [UInt8]) async throws {
        var options = CallOptions(timeout: rpc.serverStreaming ? nil : .seconds(60))
        if let session = try Session.load(profile: connection.profile) { options.metadata.authorization = "Bearer \(session.token)" }
        options = options.with(idempotencyKey: idempotencyKey ?? UUID().uuidString)
        guard let address else {
            // The service's own address, and its sentence when it does not answer.
            let package = rpc.service.split(separator: ".").dropLast().joined(separator: ".")
            try await connection.with(ServiceName(package: package) ?? .leads) { client in try await call(rpc, body, client, options) }
            return
        }
        let endpoint = try ConnectionOptions.endpoint(address, "--address")
        let client = RPCClient(host: endpoint.host, port: endpoint.port)
        do {
            try await call(rpc, body, client, options)
            await client.close()
        } catch let error as RPCError where error.code == .unavailable && error.message.hasPrefix("cannot connect to ") {
            await client.close()
            throw CLIFailure(.unavailable, "nothing answers at \(endpoint) (--address)")
        } catch {
            await client.close()
            throw error
        }
    }

    private func call(_ rpc: ProtoMethod, _ body: [UInt8], _ client: RPCClient, _ options: CallOptions) async throws {
        let descriptor = MethodDescriptor(service: rpc.service, method: rpc.name, kind: rpc.serverStreaming ? .serverStreaming : .unary)
        if rpc.serverStreaming {
            let stream: ResponseStream<RawMessage> = client.serverStreaming(descriptor, request: RawMessage(body), options: options)
            for try await message in stream {
                // Written at once, so that a pipe sees each message as it arrives.
                FileHandle.standardOutput.write(Data((try ProtoJSON.json(from: message.bytes, as: rpc.output).text(pretty: false) + "\n").utf8))
            }
        } else {
            let response: RawMessage = try await client.unary(descriptor, request: RawMessage(body), options: options)
            print(try ProtoJSON.json(from: response.bytes, as: rpc.output).text())
        }
    }
}
