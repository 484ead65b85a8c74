import CRMAPI
import CRMRPC
import CRMWire
import Foundation
import Testing

@Suite("crm-leads refuses bad input on every RPC", .timeLimit(.minutes(3)))
struct LeadsBadInputTests {
    @Test("garbage and empty requests to every method get a clear status, never INTERNAL, and change nothing")
    func everyMethod() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-leads-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = try await ServiceProcess("crm-leads", arguments: ["--password-rounds", "1000"], environment: [
            "CRM_AUTH_SECRET": String(repeating: "b", count: 48), "CRM_DATABASE": folder.appendingPathComponent("leads.sqlite").path,
            "CRM_ADMIN_PASSWORD": "first-admin-pass",
        ])
        let rpc = RPCClient(host: "127.0.0.1", port: process.port)
        let login = try await LeadsV1.Auth.Client(rpc).login(LeadsV1.LoginRequest(login: "admin", password: "first-admin-pass"))
        let admin = CallOptions(timeout: .seconds(10), metadata: Metadata(authorization: "Bearer \(login.token)"))
        let leads = LeadsV1.Leads.Client(rpc)
        let lead = try await leads.createLead(LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(fullName: "Ana", emails: ["ana@x.com"])), options: admin)
        let before = try await leads.listEvents(LeadsV1.ListEventsRequest(limit: 1), options: admin).head

        let methods = LeadsV1.Auth.Method.all + LeadsV1.Directory.Method.all + LeadsV1.LeadConfig.Method.all + LeadsV1.Leads.Method.all
        // Not a protobuf message: a field with wire type 7, then a truncated length.
        let garbage: [UInt8] = [0x0F, 0xFF, 0x12, 0xFF, 0xFF]
        for method in methods {
            for options in [CallOptions(timeout: .seconds(10)), admin] {
                let error = await #expect(throws: RPCError.self, "\(method.path)") {
                    try await call(rpc, method, RawMessage(garbage), options)
                }
                #expect(error?.code == .invalidArgument, "\(method.path): \(String(describing: error))")
            }
            guard method.kind == .unary else { continue }
            do {
                try await call(rpc, method, RawMessage(), admin)
            } catch let error as RPCError {
                #expect(![.internal, .unknown, .unimplemented, .dataLoss].contains(error.code), "\(method.path): \(error)")
                if error.code == .invalidArgument { #expect(!error.violations.isEmpty || !error.message.isEmpty, "\(method.path)") }
            }
        }
        // Nothing was created, changed or deleted: the feed did not move and the lead is as it was.
        #expect(try await leads.listEvents(LeadsV1.ListEventsRequest(limit: 1), options: admin).head == before)
        var after = try await leads.getLead(LeadsV1.GetLeadRequest(id: lead.id), options: admin)
        after.timeToCompletionMs = lead.timeToCompletionMs  // derived from the clock, not stored
        #expect(after == lead)
        await rpc.close()
        #expect(await process.terminate() == 0)
    }

    private func call(_ rpc: RPCClient, _ method: MethodDescriptor, _ request: RawMessage, _ options: CallOptions) async throws {
        if method.kind == .unary {
            let _: RawMessage = try await rpc.unary(method, request: request, options: options)
        } else {
            for try await _ in rpc.serverStreaming(method, request: request, options: options) as ResponseStream<RawMessage> {}
        }
    }
}
