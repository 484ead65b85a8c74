import CRMDomain
import LeadsDomain

/// The HTML a web form's visitor sees: the hosted form (plain, accessible, UTF-8), the form
/// again with the problems of a refused submission, and the thank-you page. Every text from the
/// configuration or the visitor is escaped.
enum FormPage {
    static func escape(_ text: String) -> String { HTMLText.escaped(text) }

    private static func document(title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
        label { display: block; margin-top: 1rem; font-weight: 600; }
        input, select, textarea { display: block; width: 100%; padding: .5rem; font: inherit; box-sizing: border-box; }
        input[type=checkbox] { display: inline; width: auto; }
        button { margin-top: 1.5rem; padding: .6rem 1.4rem; font: inherit; }
        .problems { border: 2px solid #b00020; padding: .5rem 1rem; }
        .problem { color: #b00020; }
        .hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// The form, with `values` filled in and `problems` (field -> message) shown, as after a
    /// refused submission; `token` is the hidden signed time.
    static func form(_ form: WebFormRecord, configuration: LeadConfiguration, token: String,
                     values: [String: String] = [:], problems: [(field: String, message: String)] = []) -> String {
        var html = "<main>\n<h1>\(escape(form.name))</h1>\n"
        if !problems.isEmpty {
            html += "<div class=\"problems\" role=\"alert\" id=\"problems\">\n<p>Please check these fields:</p>\n<ul>\n"
            for p in problems {
                let label = form.fields.first { $0.field == p.field }.map { WebFormRules.label(of: $0, configuration: configuration) } ?? p.field
                html += "<li><a href=\"#f-\(escape(p.field))\">\(escape(label))</a>: \(escape(p.message))</li>\n"
            }
            html += "</ul>\n</div>\n"
        }
        html += "<form method=\"post\" action=\"/forms/\(escape(form.publicID))\" accept-charset=\"utf-8\">\n"
        html += "<p>Fields marked * are required.</p>\n"
        for field in form.fields {
            let id = "f-" + escape(field.field)
            let name = escape(field.field)
            let label = escape(WebFormRules.label(of: field, configuration: configuration)) + (field.required ? " *" : "")
            let value = values[field.field] ?? ""
            let problem = problems.first { $0.field == field.field }
            var attributes = " id=\"\(id)\" name=\"\(name)\"" + (field.required ? " required aria-required=\"true\"" : "")
            if problem != nil { attributes += " aria-invalid=\"true\" aria-describedby=\"\(id)-problem\"" }
            let input = WebFormRules.input(of: field.field, configuration: configuration)
            switch input {
            case "textarea":
                html += "<label for=\"\(id)\">\(label)</label>\n<textarea\(attributes) rows=\"6\" maxlength=\"\(WebFormRules.maxMessage)\">\(escape(value))</textarea>\n"
            case "select":
                let choices = configuration.customFields.first { $0.key == field.field }?.choices ?? []
                html += "<label for=\"\(id)\">\(label)</label>\n<select\(attributes)>\n<option value=\"\"></option>\n"
                for choice in choices {
                    html += "<option value=\"\(escape(choice))\"\(choice == value ? " selected" : "")>\(escape(choice))</option>\n"
                }
                html += "</select>\n"
            case "checkbox":
                html += "<label for=\"\(id)\"><input type=\"checkbox\"\(attributes) value=\"true\"\(value == "true" ? " checked" : "")> \(label)</label>\n"
            default:
                let autocomplete = ["full_name": "name", "company": "organization", "emails": "email", "phones": "tel", "postal_code": "postal-code",
                                    "country": "country", "location": "street-address"][field.field].map { " autocomplete=\"\($0)\"" } ?? ""
                html += "<label for=\"\(id)\">\(label)</label>\n<input type=\"\(input)\"\(attributes)\(autocomplete) value=\"\(escape(value))\">\n"
            }
            if let problem { html += "<p class=\"problem\" id=\"\(id)-problem\">\(escape(problem.message))</p>\n" }
        }
        // Hidden from people (and from screen readers and the tab order); bots fill every field.
        html += "<div class=\"hp\" aria-hidden=\"true\"><label for=\"f-\(WebFormRules.honeypotField)\">Leave this empty</label>"
        html += "<input type=\"text\" id=\"f-\(WebFormRules.honeypotField)\" name=\"\(WebFormRules.honeypotField)\" tabindex=\"-1\" autocomplete=\"off\" value=\"\"></div>\n"
        html += "<input type=\"hidden\" name=\"\(WebFormRules.tokenField)\" value=\"\(escape(token))\">\n"
        html += "<button type=\"submit\">Send</button>\n</form>\n</main>"
        return document(title: form.name, html)
    }

    static func thanks(_ name: String) -> String {
        document(title: "Thank you", "<main>\n<h1>Thank you</h1>\n<p role=\"status\">We received your details through \(escape(name)) and will be in touch.</p>\n</main>")
    }

    static func message(_ title: String, _ text: String) -> String {
        document(title: title, "<main>\n<h1>\(escape(title))</h1>\n<p>\(escape(text))</p>\n</main>")
    }

    static func index(_ forms: [WebFormRecord]) -> String {
        let items = forms.map { "<li><a href=\"/forms/\(escape($0.publicID))\">\(escape($0.name))</a></li>" }.joined(separator: "\n")
        return document(title: "Forms", "<main>\n<h1>Forms</h1>\n<ul>\n\(items)\n</ul>\n</main>")
    }
}
