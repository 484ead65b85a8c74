import CRMAPI
import CRMDomain
import CRMRPC
import CRMWire
import Foundation
import Synchronization
import Testing
@testable import LeadsDomain
@testable import LeadsService

@Suite("Web forms: bodies, pages, spam checks, rules and the Forms RPCs", .timeLimit(.minutes(2)))
struct WebFormTests {
    let config = DefaultConfiguration.value

    @Test("urlencoded and multipart bodies give their fields; broken ones, files and other types are refused")
    func bodies() throws {
        let plain = try FormBody.fields(contentType: "application/x-www-form-urlencoded", body: Array("full_name=Zo%C3%AB+O%27Brien&emails=a%40x.com&emails=second&empty=&flag".utf8))
        #expect(plain == ["full_name": "Zoë O'Brien", "emails": "a@x.com", "empty": "", "flag": ""])
        #expect(throws: FormBody.Failure.malformed("a bad percent escape")) { try FormBody.urlEncoded(Array("a=%4".utf8)) }
        #expect(throws: FormBody.Failure.malformed("a value that is not UTF-8")) { try FormBody.urlEncoded(Array("a=%FF".utf8)) }
        #expect(throws: FormBody.Failure.tooManyFields) { try FormBody.urlEncoded(Array((0..<101).map { "f\($0)=1" }.joined(separator: "&").utf8)) }

        let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"full_name\"\r\n\r\nAna\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline 1\r\nline 2\r\n--XyZ--\r\n"
        let parts = try FormBody.fields(contentType: "multipart/form-data; boundary=XyZ", body: Array(multipart.utf8))
        #expect(parts == ["full_name": "Ana", "message": "line 1\r\nline 2"])
        let file = "--B\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n\r\n%PDF\r\n--B--\r\n"
        #expect(throws: FormBody.Failure.file(field: "cv")) { try FormBody.fields(contentType: "multipart/form-data; boundary=B", body: Array(file.utf8)) }
        #expect(throws: FormBody.Failure.malformed("multipart/form-data without a boundary")) { try FormBody.fields(contentType: "multipart/form-data", body: []) }
        #expect(throws: FormBody.Failure.malformed("a multipart body without its parts")) { try FormBody.fields(contentType: "multipart/form-data; boundary=B", body: Array("junk".utf8)) }
        #expect(throws: FormBody.Failure.unsupportedType) { try FormBody.fields(contentType: "application/json", body: Array("{}".utf8)) }
    }

    @Test("every text on a page is escaped")
    func escaping() {
        #expect(FormPage.escape("<script>\"a\" & 'b'</script>") == "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;")
        var form = WebFormRecord(publicID: "x-1", name: "<b>Hi</b>", fields: [.init(field: "full_name", label: "Your \"name\"", required: true)])
        form.minFillSeconds = 0
        let page = FormPage.form(form, configuration: config, token: "t\"", values: ["full_name": "</textarea><script>"], problems: [("full_name", "<bad>")])
        #expect(!page.contains("<b>Hi") && !page.contains("<script>") && !page.contains("<bad>") && page.contains("value=\"t&quot;\""))
        #expect(page.contains("role=\"alert\"") && page.contains("Your &quot;name&quot; *"))
    }

    @Test("the page's token: a minimum fill time, refused when forged, for another form or too old; a budget per address")
    func spamChecks() {
        let now = Mutex<Int64>(1_000_000)
        var policy = FormGuard.Policy()
        policy.burst = 3
        policy.refillMillis = 10_000
        let guardrails = FormGuard(secret: String(repeating: "k", count: 40), clock: WallClock { now.withLock { $0 } }, policy: policy)
        let token = guardrails.token(for: "contact")
        #expect(guardrails.check(token, for: "contact", minFillSeconds: 3) == .tooFast)
        now.withLock { $0 += 3_000 }
        #expect(guardrails.check(token, for: "contact", minFillSeconds: 3) == .ok)
        #expect(guardrails.check(token, for: "other", minFillSeconds: 3) == .invalid)
        #expect(guardrails.check("1000000.00", for: "contact", minFillSeconds: 3) == .invalid)
        #expect(guardrails.check("", for: "contact", minFillSeconds: 3) == .invalid)
        #expect(guardrails.check("", for: "contact", minFillSeconds: 0) == .ok)  // a page of one's own
        now.withLock { $0 += 25 * 3_600_000 }
        #expect(guardrails.check(token, for: "contact", minFillSeconds: 3) == .invalid)

        #expect((0..<3).allSatisfy { _ in guardrails.admit("10.0.0.1").admitted })
        let refused = guardrails.admit("10.0.0.1")
        #expect(!refused.admitted && refused.retryAfter == 10)
        #expect(guardrails.admit("10.0.0.2").admitted)  // another address has its own budget
        now.withLock { $0 += 10_000 }
        #expect(guardrails.admit("10.0.0.1").admitted && !guardrails.admit("10.0.0.1").admitted)
    }

    @Test("behind a trusted proxy the visitor is the address it forwards for; anyone else's X-Forwarded-For is ignored")
    func visitorAddress() {
        let proxy: Set<String> = ["10.0.0.9"]
        #expect(FormsHTTPHandler.visitor(connection: "10.0.0.9", forwardedFor: ["1.2.3.4, 5.6.7.8"], trusted: proxy) == "5.6.7.8")
        #expect(FormsHTTPHandler.visitor(connection: "10.0.0.9", forwardedFor: ["1.2.3.4", "9.9.9.9"], trusted: proxy) == "9.9.9.9")
        #expect(FormsHTTPHandler.visitor(connection: "10.0.0.9", forwardedFor: [], trusted: proxy) == "10.0.0.9")
        #expect(FormsHTTPHandler.visitor(connection: "6.6.6.6", forwardedFor: ["1.2.3.4"], trusted: proxy) == "6.6.6.6")
    }

    @Test("a form's configuration: each bad part named; a submission checked as CreateLead checks a lead, with the form's values")
    func rules() {
        var bad = WebFormRecord(publicID: "-No", name: "", fields: [.init(field: "emails"), .init(field: "emails"), .init(field: "password")])
        bad.redirectURL = "javascript:alert(1)"
        bad.minFillSeconds = 601
        bad.typeID = 99
        var v = Violations()
        WebFormRules.check(&bad, configuration: config, prefix: "form", into: &v)
        #expect(Set(v.all.map(\.field)) == ["form.public_id", "form.name", "form.fields[1].field", "form.fields[2].field", "form.fields",
                                            "form.redirect_url", "form.min_fill_seconds", "form.type_id"])

        var form = WebFormRecord(publicID: "supply", name: "Supply", fields: [
            .init(field: "full_name", required: true), .init(field: "emails", required: true), .init(field: "cups"), .init(field: "annual_consumption_kwh"), .init(field: "message"),
        ])
        form.typeID = 2
        form.campaign = "spring"
        form.sourceTypeID = 10
        let owner = Caller(userID: 1, role: .admin, unitID: 0)
        guard case .failure(.invalid(let missing)) = WebFormRules.lead(from: ["full_name": "Ana"], form: form, configuration: config, owner: owner, now: 5) else {
            Issue.record("a required field is missing")
            return
        }
        #expect(missing.map(\.field) == ["emails"])
        guard case .failure(.invalid(let typed)) = WebFormRules.lead(from: ["full_name": "Ana", "emails": "a@x.com", "annual_consumption_kwh": "lots"],
                                                                     form: form, configuration: config, owner: owner, now: 5) else {
            Issue.record("a custom field takes its type")
            return
        }
        #expect(typed.map(\.field) == ["annual_consumption_kwh"])
        guard case .success(let good) = WebFormRules.lead(from: ["full_name": " Ana  Díaz ", "emails": "A@X.com", "annual_consumption_kwh": "9000", "message": "hi\r\nthere", "submit": "Send"],
                                                          form: form, configuration: config, owner: owner, now: 5) else {
            Issue.record("the submission is good")
            return
        }
        #expect(good.lead.fullName == "Ana Díaz" && good.lead.emails == ["a@x.com"] && good.lead.typeID == 2 && good.lead.campaign == "spring")
        #expect(good.lead.sourceTypeID == 10 && !good.lead.imported && good.lead.customFields["annual_consumption_kwh"] == .integer(9000) && good.message == "hi\r\nthere")
    }

    @Test("Forms over RPC: admins change them, managers read them, an agent neither; public ids are unique; versions are checked")
    func forms() async throws {
        let service = try await TestLeadsService.start()
        let admin = try await service.signedIn()
        let forms = LeadsV1.Forms.Client(service.client)
        let input = LeadsV1.WebForm(publicId: "Contact", name: "Contact", fields: [LeadsV1.FormField(field: "full_name", required: true)], hostedPage: true)
        let created = try await forms.createForm(LeadsV1.CreateFormRequest(form: input), options: admin)
        #expect(created.publicId == "contact" && created.active && created.version == 1 && created.ownerId != 0)
        let taken = await #expect(throws: RPCError.self) { try await forms.createForm(LeadsV1.CreateFormRequest(form: input), options: admin) }
        #expect(taken?.code == .alreadyExists)
        let invalid = await #expect(throws: RPCError.self) {
            try await forms.createForm(LeadsV1.CreateFormRequest(form: LeadsV1.WebForm(publicId: "x", name: "X")), options: admin)
        }
        #expect(invalid?.code == .invalidArgument && invalid?.violations.map(\.field).contains("form.public_id") == true)
        var changed = created
        changed.name = "Contact us"
        changed.fields.append(LeadsV1.FormField(field: "emails", required: true))
        let updated = try await forms.updateForm(LeadsV1.UpdateFormRequest(form: changed), options: admin)
        #expect(updated.version == 2 && updated.fields.count == 2)
        let stale = await #expect(throws: RPCError.self) { try await forms.updateForm(LeadsV1.UpdateFormRequest(form: changed), options: admin) }
        #expect(stale?.code == .aborted)

        let (_, manager) = try await service.user("mara", role: .salesManager, admin: admin)
        #expect(try await forms.listForms(LeadsV1.ListFormsRequest(), options: manager).forms.map(\.name) == ["Contact us"])
        let notAdmin = await #expect(throws: RPCError.self) { try await forms.disableForm(LeadsV1.DisableFormRequest(id: created.id, version: 2), options: manager) }
        #expect(notAdmin?.code == .permissionDenied)
        let (_, agent) = try await service.user("ana", role: .agent, admin: admin)
        let agentRead = await #expect(throws: RPCError.self) { try await forms.getForm(LeadsV1.GetFormRequest(id: created.id), options: agent) }
        #expect(agentRead?.code == .permissionDenied)

        let disabled = try await forms.disableForm(LeadsV1.DisableFormRequest(id: created.id, version: 2), options: admin)
        #expect(!disabled.active && disabled.version == 3)
        #expect(try await forms.listForms(LeadsV1.ListFormsRequest(activeOnly: true), options: admin).forms.isEmpty)
        #expect(try await forms.getForm(LeadsV1.GetFormRequest(publicId: "contact"), options: admin).id == created.id)
        await service.stop()
    }
}
