import CRMDomain
import Foundation
import LeadsDomain
import Logging
import Metrics

/// The web forms' HTTP protocol, apart from the transport: which request is which page or
/// submission, the spam checks in their order, and each outcome's status, page or JSON. Every
/// outcome is counted in `crm_form_submissions_total{outcome}` (pages in `crm_form_pages_total`).
struct FormsEndpoint: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var contentType = ""
        var accept = ""
        /// The client's address, for the per-address budget.
        var peer: String
        var body: [UInt8] = []
    }

    struct Answer: Sendable, Equatable {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8] = []

        static func == (a: Answer, b: Answer) -> Bool { a.status == b.status && a.body == b.body && a.headers.map { "\($0)=\($1)" } == b.headers.map { "\($0)=\($1)" } }

        static func html(_ status: Int, _ text: String) -> Answer {
            Answer(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(text.utf8))
        }

        static func json(_ status: Int, _ value: [String: Any]) -> Answer {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
            return Answer(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
        }
    }

    /// How a submission ended, as metrics count it.
    enum Outcome: String, CaseIterable {
        case created, noted, invalid, honeypot, tooFast = "too_fast", rateLimited = "rate_limited", tooLarge = "too_large"
        case notFound = "not_found", malformed, failed
    }

    let leads: LeadsHandler
    let guardrails: FormGuard
    let logger: Logger

    func handle(_ request: Request) async -> Answer {
        let parts = request.path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/", omittingEmptySubsequences: true).map(String.init) } ?? []
        guard parts.first == "forms" else { return .html(404, FormPage.message("Not found", "There is nothing here.")) }
        switch (request.method, parts.count) {
        case ("GET", 1), ("HEAD", 1): return await index(request)
        case ("GET", 2), ("HEAD", 2): return await page(parts[1])
        case ("GET", 3) where parts[2] == "thanks", ("HEAD", 3) where parts[2] == "thanks": return await thanks(parts[1])
        case ("POST", 2): return await submit(parts[1], request)
        case (_, 2): return Answer(status: 405, headers: [("Allow", "GET, POST")], body: Array("GET or POST\n".utf8))
        default: return .html(404, FormPage.message("Not found", "There is nothing here."))
        }
    }

    static func count(_ outcome: Outcome) {
        Counter(label: "crm_form_submissions_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }

    /// Counts what the transport refused before the endpoint saw it (a body over the cap).
    static func tooLarge() -> Answer {
        count(.tooLarge)
        return .html(413, FormPage.message("Too large", "The form sent more than a form holds."))
    }

    private func index(_ request: Request) async -> Answer {
        let forms = (try? await leads.hostedForms()) ?? []
        if request.accept.contains("application/json") {
            return .json(200, ["forms": forms.map { ["public_id": $0.publicID, "name": $0.name, "path": "/forms/\($0.publicID)"] }])
        }
        return .html(200, FormPage.index(forms))
    }

    private func page(_ publicID: String) async -> Answer {
        guard let (form, configuration) = try? await leads.form(publicID), form.hostedPage else { return notFound() }
        Counter(label: "crm_form_pages_total").increment()
        var answer = Answer.html(200, FormPage.form(form, configuration: configuration, token: guardrails.token(for: form.publicID)))
        answer.headers.append(("Cache-Control", "no-store"))  // the token in it is the time it was served
        return answer
    }

    private func thanks(_ publicID: String) async -> Answer {
        guard let (form, _) = try? await leads.form(publicID) else { return notFound() }
        return .html(200, FormPage.thanks(form.name))
    }

    private func notFound() -> Answer {
        .html(404, FormPage.message("Not found", "There is no such form, or it no longer takes submissions."))
    }

    private func submit(_ publicID: String, _ request: Request) async -> Answer {
        let wantsJSON = request.accept.contains("application/json")
        let admission = guardrails.admit(request.peer)
        guard admission.admitted else {
            Self.count(.rateLimited)
            var answer = wantsJSON ? Answer.json(429, ["error": "rate_limited"]) : .html(429, FormPage.message("Too many submissions", "Please wait a minute and send the form again."))
            answer.headers.append(("Retry-After", String(admission.retryAfter)))
            return answer
        }
        guard let (form, configuration) = try? await leads.form(publicID) else {
            Self.count(.notFound)
            return wantsJSON ? .json(404, ["error": "not_found"]) : notFound()
        }
        let values: [String: String]
        do {
            values = try FormBody.fields(contentType: request.contentType, body: request.body)
        } catch {
            Self.count(.malformed)
            switch error {
            case .unsupportedType: return .html(415, FormPage.message("Unsupported", "Send the form as application/x-www-form-urlencoded or multipart/form-data."))
            case .file(let field):
                return refused(form, configuration, [:], [(field, "files are not accepted")], wantsJSON)
            case .malformed(let what): return .html(400, FormPage.message("Bad request", "The form's data is broken: \(what)."))
            case .tooManyFields: return .html(400, FormPage.message("Bad request", "The form sent more fields than it has."))
            }
        }
        // A person never fills the hidden field: pretend all went well, so a bot learns nothing.
        if !(values[WebFormRules.honeypotField] ?? "").isEmpty {
            Self.count(.honeypot)
            return received(form, wantsJSON)
        }
        switch guardrails.check(values[WebFormRules.tokenField] ?? "", for: form.publicID, minFillSeconds: form.minFillSeconds) {
        case .ok: break
        case .tooFast:
            Self.count(.tooFast)
            return refused(form, configuration, values, [("form", "was sent sooner than a person fills it in; check it and send it again")], wantsJSON, error: "too_fast")
        case .invalid:
            Self.count(.tooFast)
            return refused(form, configuration, values, [("form", "is out of date or was not sent from its page; send it again")], wantsJSON, error: "too_fast")
        }
        do {
            let outcome = try await leads.submit(values, to: form.publicID)
            switch outcome {
            case .created: Self.count(.created)
            case .noted: Self.count(.noted)
            }
            return received(form, wantsJSON)
        } catch let error as DomainError {
            if case .invalid(let violations) = error {
                Self.count(.invalid)
                return refused(form, configuration, values, violations.map { ($0.field, $0.description) }, wantsJSON)
            }
            if case .notFound = error {
                Self.count(.notFound)
                return wantsJSON ? .json(404, ["error": "not_found"]) : notFound()
            }
            Self.count(.failed)
            logger.error("a web form submission could not be stored", metadata: ["form": "\(form.publicID)", "error": "\(error)"])
            return .html(503, FormPage.message("Not available", "The form cannot take submissions right now; please try again later."))
        } catch {
            Self.count(.failed)
            logger.error("a web form submission could not be stored", metadata: ["form": "\(form.publicID)", "error": "\(error)"])
            return .html(503, FormPage.message("Not available", "The form cannot take submissions right now; please try again later."))
        }
    }

    /// A stored (or silently dropped) submission: to the form's page after it, or JSON.
    private func received(_ form: WebFormRecord, _ wantsJSON: Bool) -> Answer {
        if wantsJSON { return .json(201, ["status": "received"]) }
        let location = form.redirectURL.isEmpty ? "/forms/\(form.publicID)/thanks" : form.redirectURL
        return Answer(status: 303, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], body: Array("See \(location)\n".utf8))
    }

    /// 422: the form again with what was sent and each problem, or JSON naming the fields.
    private func refused(_ form: WebFormRecord, _ configuration: LeadConfiguration, _ values: [String: String],
                         _ problems: [(field: String, message: String)], _ wantsJSON: Bool, error: String = "invalid") -> Answer {
        if wantsJSON {
            return .json(422, ["error": error, "fields": problems.map { ["field": $0.field, "message": $0.message] }])
        }
        var shown = values
        shown[WebFormRules.tokenField] = nil
        shown[WebFormRules.honeypotField] = nil
        var answer = Answer.html(422, FormPage.form(form, configuration: configuration, token: guardrails.token(for: form.publicID), values: shown, problems: problems))
        answer.headers.append(("Cache-Control", "no-store"))
        return answer
    }
}
