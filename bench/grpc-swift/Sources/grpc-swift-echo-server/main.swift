import EchoProto
import GRPCCore
import Foundation
import GRPCNIOTransportHTTP2

/// Echo over grpc-swift-2's HTTP/2 transport on 127.0.0.1:PORT, until killed.
struct EchoService: Crm_Testing_V1_Echo.SimpleServiceProtocol {
    func echo(request: Crm_Testing_V1_EchoRequest, context: ServerContext) async throws -> Crm_Testing_V1_EchoResponse {
        var response = Crm_Testing_V1_EchoResponse()
        response.text = request.text
        response.payload = request.payload
        return response
    }
}

guard CommandLine.arguments.count == 2, let port = Int(CommandLine.arguments[1]) else {
    print("usage: grpc-swift-echo-server PORT")
    exit(2)
}
let server = GRPCServer(transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
                        services: [EchoService()])
try await server.serve()
