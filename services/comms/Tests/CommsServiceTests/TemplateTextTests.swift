import CommsDomain
import Foundation
import Testing
@testable import CommsService

@Suite("templates: the #tag rule, rendering and escaping, retries, RFC 5322 text", .timeLimit(.minutes(1)))
struct TemplateTextTests {
    let catalogue = TagCatalogue(customFields: [(key: "cups", label: "CUPS")])

    @Test("# and a letter start a tag; ## is a literal #; numbers, C# and a final dot are text")
    func tagRule() {
        let text = TemplateText("Hello #lead.first_name. Order #123, C# and ##hashtag # alone; #lead.custom.cups!")
        #expect(text.tags == ["#lead.first_name", "#lead.custom.cups"])
        let rendered = Rendered(subject: TemplateText("s"), body: text, kind: .plain, values: ["#lead.first_name": "Ana", "#lead.custom.cups": "ES0021"])
        #expect(rendered.body == "Hello Ana. Order #123, C# and #hashtag # alone; ES0021!")
        #expect(text.problems(part: "body", catalogue: catalogue).isEmpty)
    }

    @Test("unknown and malformed tags are problems with their part, offset and a hint")
    func problems() {
        let problems = TemplateText("Hi #lead.nmae and #Lead.company and #lead..x").problems(part: "subject", catalogue: catalogue)
        #expect(problems.map(\.tag) == ["#lead.nmae", "#Lead.company", "#lead..x"])
        #expect(problems.map(\.offset) == [3, 18, 36])
        #expect(problems[0].message.contains("not a tag") && problems[1].message.contains("malformed") && problems.allSatisfy { $0.part == "subject" })
    }

    @Test("values are HTML-escaped in HTML bodies only; a subject can never hold a line break; empty tags are reported")
    func escaping() {
        let values = ["#lead.full_name": "Ana <script>alert('x')</script> & \"Co\"", "#lead.company": "Evil\r\nBcc: all@example.com"]
        let html = Rendered(subject: TemplateText("For #lead.company"), body: TemplateText("<p>#lead.full_name #lead.email</p>"), kind: .html, values: values)
        #expect(html.body == "<p>Ana &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot; </p>")
        #expect(html.subject == "For Evil  Bcc: all@example.com" && !html.subject.contains("\n") && !html.subject.contains("\r"))
        #expect(html.emptyTags == ["#lead.email"])
        let plain = Rendered(subject: TemplateText("x"), body: TemplateText("#lead.full_name"), kind: .plain, values: values)
        #expect(plain.body == values["#lead.full_name"])
    }

    @Test("retries back off exponentially with jitter, up to a cap, then stop")
    func retries() {
        let policy = RetryPolicy(maxAttempts: 4, baseDelayMillis: 1_000, maxDelayMillis: 3_000)
        #expect(policy.delay(afterAttempts: 1, jitter: 0) == 1_000)
        #expect(policy.delay(afterAttempts: 2, jitter: 0) == 2_000)
        #expect(policy.delay(afterAttempts: 3, jitter: 0) == 3_000)
        #expect(policy.delay(afterAttempts: 3, jitter: 1) == 2_250)
        #expect(policy.delay(afterAttempts: 4, jitter: 0) == nil)
    }

    @Test("a message is RFC 5322 text: encoded words for non-ASCII, CRLF lines of at most 78, base64 bodies, multipart for HTML")
    func composed() throws {
        let message = MessageRecord(
            id: 7, leadID: 1, templateID: 1, recipient: "ana@acme.example", senderName: "Marta Ruíz", subject: "Oferta para Peña\r\nBcc: x",
            body: "<p>Hola Ana</p><p>Línea 2</p>", bodyKind: .html, messageID: "7.1@crm.example", nextAttemptAt: 0, createdBy: 1, createdAt: 1)
        let text = String(decoding: MailComposer.compose(message, from: "crm@crm.example", date: Date(timeIntervalSince1970: 0)), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.contains("To: <ana@acme.example>") && lines.contains("Message-ID: <7.1@crm.example>") && lines.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        let subject = try #require(lines.first { $0.hasPrefix("Subject: ") })
        #expect(subject.hasPrefix("Subject: =?UTF-8?B?") && !lines.contains { $0.hasPrefix("Bcc:") })
        let encoded = subject.dropFirst(9).dropFirst(10).dropLast(2)
        #expect(String(decoding: Data(base64Encoded: String(encoded)) ?? Data(), as: UTF8.self).hasPrefix("Oferta para Peña"))
        #expect(text.contains("Content-Type: multipart/alternative;") && text.contains("Content-Type: text/plain; charset=utf-8") && text.contains("Content-Type: text/html; charset=utf-8"))
        #expect(MailComposer.plainText(ofHTML: "<p>Hola &amp; adiós</p><br>x") == "Hola & adiós\n\nx")
    }
}
