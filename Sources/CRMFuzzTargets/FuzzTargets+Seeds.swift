import CRMAPI
import CRMRPC
import CRMWire
import NIOCore

extension FuzzTargets {
    /// Valid inputs of each target to start the fuzzer from (`crm-fuzz --seeds DIR` writes
    /// them; `fuzz/corpus/` holds them).
    public static func seeds() -> [Target: [(name: String, bytes: [UInt8])]] {
        let lead = LeadsV1.CreateLeadRequest(lead: LeadsV1.LeadInput(
            fullName: "Ana O'Neil \u{5D0}\u{5D1}", company: "Acme \"Ibérica\"", emails: ["ana@example.com", "a.b@x.es"], phones: ["+34 600 111 222"],
            country: "ES", products: [LeadsV1.ProductInterest(product: "p1", quantity: 2, notes: "n")]), allowDuplicate: true)
        let list = LeadsV1.ListLeadsRequest(filter: LeadsV1.LeadFilter(text: "ana", countries: ["ES"], postalCodes: ["28*"], statusIds: [1, 2]),
                                            sort: [RpcV1.SortKey(field: "full_name", descending: true)], pageSize: 50, pageToken: "c1.abc")
        let all = TestingV1.AllKinds(fString: "text", fBytes: [0, 1, 2], rInt64: [1, -1, Int64.max], rString: ["a", "b"])
        let header = RpcV1.RequestHeader(callId: 1, kind: .open, method: "/crm.leads.v1.Leads/CreateLead", timeoutMs: 5_000,
                                         authorization: "Bearer x", idempotencyKey: "k", traceId: "t")
        func frame(_ header: RpcV1.RequestHeader, _ body: [UInt8]) -> [UInt8] {
            let h = (try? header.serializedBytes()) ?? []
            var bytes: [UInt8] = []
            for v in [UInt32(4 + h.count + body.count), UInt32(h.count)] { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
            return bytes + h + body
        }
        let leadBytes = (try? lead.serializedBytes()) ?? []
        var cancel = header
        cancel.kind = .cancel
        return [
            .frame: [("create", frame(header, leadBytes)), ("two-frames", frame(header, leadBytes) + frame(cancel, [])), ("partial", Array(frame(header, leadBytes).prefix(11)))],
            .wire: [("create-lead", leadBytes), ("list-leads", (try? list.serializedBytes()) ?? []), ("all-kinds", (try? all.serializedBytes()) ?? [])],
            .json: [
                ("create-lead", Array(#"{"lead": {"full_name": "Ana", "emails": ["ana@example.com"], "country": "ES", "priority": 3}, "allow_duplicate": true}"#.utf8)),
                ("all-kinds", Array(#"{"f_string": "x\u00e9\n", "f_bytes": "AAEC", "r_int64": [1, "-2", 9007199254740993], "f_enum": 1}"#.utf8)),
            ],
            .csv: [
                ("quoted", Array("full_name,company,emails\r\n\"O'Neil, Ana\",\"Acme \"\"Ibérica\"\"\",ana@example.com\r\n\r\nLuis,\"two\nlines\",l@x.es\n".utf8)),
                ("semicolons", Array("\u{FEFF}nombre;empresa;email\nMarta;Ruíz S.L.;m@x.es\nEva;;\n".utf8)),
            ],
        ]
    }
}
