import CommsDomain
import Foundation

/// A message as RFC 5322 text: From, To, Subject (an encoded word when it is not ASCII), Date,
/// Message-ID, MIME headers; the body base64-encoded in lines of 76 (so no line is too long and
/// none starts with a dot); an HTML body as multipart/alternative with a plain-text part.
enum MailComposer {
    static func compose(_ m: MessageRecord, from address: String, date: Date) -> [UInt8] {
        var lines: [String] = []
        let display = m.senderName.isEmpty ? "CRM" : m.senderName
        lines.append("From: \(encodedWord(display)) <\(address)>")
        lines.append("To: <\(m.recipient)>")
        lines.append("Subject: \(encodedWord(Rendered.headerSafe(m.subject)))")
        lines.append("Date: \(rfc5322Date(date))")
        lines.append("Message-ID: <\(m.messageID)>")
        lines.append("MIME-Version: 1.0")
        switch m.bodyKind {
        case .plain:
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines += base64Lines(m.body)
        case .html:
            let boundary = "=_crm_\(m.messageID.prefix(24).filter { $0.isLetter || $0.isNumber })"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines += base64Lines(plainText(ofHTML: m.body))
            lines.append("--\(boundary)")
            lines.append("Content-Type: text/html; charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines += base64Lines(m.body)
            lines.append("--\(boundary)--")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// The text as it may stand in a header: as it is when printable ASCII, else an RFC 2047
    /// encoded word (several, each short enough for a line).
    static func encodedWord(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && !text.contains("=?") { return text }
        var words: [String] = []
        var chunk = ""
        for c in text {
            if (chunk + String(c)).utf8.count > 45 { words.append(chunk); chunk = "" }
            chunk.append(c)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// A readable plain-text version of an HTML body: tags dropped, line breaks kept, entities read.
    static func plainText(ofHTML html: String) -> String {
        var out = ""
        var inTag = false
        var tag = ""
        for c in html {
            if c == "<" { inTag = true; tag = ""; continue }
            if c == ">" && inTag {
                inTag = false
                let name = tag.lowercased().split(whereSeparator: { $0 == " " || $0 == "/" }).first.map(String.init) ?? ""
                if ["br", "p", "div", "li", "tr", "h1", "h2", "h3"].contains(name) { out += "\n" }
                continue
            }
            if inTag { tag.append(c) } else { out.append(c) }
        }
        for (entity, text) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: text)
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
