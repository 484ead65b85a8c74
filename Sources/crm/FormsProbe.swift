import Foundation

/// Where crm-leads' web forms are when `crm up` runs it (its RPC port plus 10), and the pages
/// they offer.
enum FormsProbe {
    static let portOffset = 10

    static func endpoint(of leads: Endpoint) -> Endpoint {
        Endpoint(host: leads.host, port: leads.port + portOffset)
    }

    /// The URL of each enabled form's hosted page, from the listener's own index.
    static func pages(_ endpoint: Endpoint) -> [(name: String, url: String)]? {
        guard let answer = MetricsProbe.httpGet(endpoint, path: "/forms", accept: "application/json"), answer.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              let forms = object["forms"] as? [[String: Any]] else { return nil }
        return forms.compactMap { form in
            guard let name = form["name"] as? String, let path = form["path"] as? String else { return nil }
            return (name, "http://\(endpoint.description)\(path)")
        }
    }

    /// Lines for `crm up`'s summary.
    static func summary(_ endpoint: Endpoint) -> [String] {
        // The listener starts beside the RPC server: give it a moment to bind.
        var found = pages(endpoint)
        for _ in 0..<30 where found == nil {
            usleep(100_000)
            found = pages(endpoint)
        }
        guard let pages = found else { return ["Web forms: http://\(endpoint.description)/forms (not answering)."] }
        guard !pages.isEmpty else { return ["Web forms: http://\(endpoint.description)/forms (none yet: `crm forms add`)."] }
        return ["Web forms:"] + pages.map { "  \($0.name): \($0.url)" }
    }
}
