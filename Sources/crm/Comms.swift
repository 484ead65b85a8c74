import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

extension ConnectionOptions {
    /// A call to crm-comms with the saved session.
    func withComms<T>(changing: Bool = false, _ body: (CommsV1.Comms.Client, CallOptions) async throws -> T) async throws -> T {
        let options = try signedIn(changing: changing)
        return try await with(.comms) { rpc in try await body(CommsV1.Comms.Client(rpc), options) }
    }
}

/// `crm tags`: what templates may say.
struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the #tags templates may use, with an example of each.",
        discussion: "In a template, # followed by a letter starts a tag; ## writes a literal #. \"Order #123\" and \"C#\" need nothing.")
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let answer = try await connection.withComms { client, options in try await client.listTags(CommsV1.ListTagsRequest(), options: options) }
            try output.print(answer, Table(header: ["tag", "stands for", "example"], rows: answer.tags.map { [$0.name, $0.description, $0.example] }))
        }
    }
}

struct Templates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Message templates with #tags (changes: admins and sales managers).",
        subcommands: [List.self, Show.self, Add.self, Edit.self, Validate.self, Delete.self])

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure(.usage, "cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    static func kind(_ html: Bool, _ path: String?) -> CommsV1.BodyKind {
        html || (path.map { $0.lowercased().hasSuffix(".html") || $0.lowercased().hasSuffix(".htm") } ?? false) ? .html : .plain
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List templates by name.")
        @Option(help: "Only names containing this.") var text = ""
        @Flag(help: "Retired ones too.") var all = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let answer = try await connection.withComms { client, options in
                    try await client.listTemplates(CommsV1.ListTemplatesRequest(activeOnly: !all, text: text, pageSize: 500), options: options)
                }
                var table = Table(header: ["id", "name", "subject", "kind", "tags", "active"])
                for t in answer.templates {
                    table.rows.append([String(t.id), t.name, t.subject, t.bodyKind == .html ? "html" : "plain", t.tags.joined(separator: " "), t.active ? "yes" : "retired"])
                }
                try output.print(answer, table)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a template.")
        @Argument(help: "The template's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let t = try await connection.withComms { client, options in try await client.getTemplate(CommsV1.GetTemplateRequest(id: id), options: options) }
                try output.print(t, details([("id", String(t.id)), ("name", t.name), ("subject", t.subject), ("kind", t.bodyKind == .html ? "html" : "plain"),
                                             ("tags", t.tags.joined(separator: " ")), ("active", t.active ? "yes" : "retired"), ("version", String(t.version)),
                                             ("body", t.body)]))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a template; every #tag is checked against the catalogue first.")
        @Argument(help: "Its name.") var name: String
        @Option(help: "The subject, with #tags.") var subject: String
        @Option(help: ArgumentHelp("A file holding the body (a .html file is an HTML body).", valueName: "path")) var body: String
        @Flag(help: "The body is HTML (values are then HTML-escaped).") var html = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let draft = CommsV1.TemplateInput(name: name, channel: .email, subject: subject, body: try Templates.read(body), active: true, bodyKind: Templates.kind(html, body))
                let t = try await connection.withComms(changing: true) { client, options in
                    try await client.createTemplate(CommsV1.CreateTemplateRequest(draft: draft), options: options)
                }
                try output.print(t, oneLine("Added template \(t.id) (\(t.name)), using \(t.tags.isEmpty ? "no tags" : t.tags.joined(separator: " "))."))
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a template: only what is given changes.")
        @Argument(help: "The template's id.") var id: Int64
        @Option(help: "The name.") var name: String?
        @Option(help: "The subject.") var subject: String?
        @Option(help: ArgumentHelp("A file holding the body.", valueName: "path")) var body: String?
        @Flag(inversion: .prefixedNo, help: "Whether the body is HTML.") var html: Bool?
        @Flag(help: "Retire it: kept, offered for no new message.") var retire = false
        @Flag(help: "Offer it again.") var restore = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                var draft = CommsV1.TemplateInput()
                var mask: [String] = []
                if let name { draft.name = name; mask.append("name") }
                if let subject { draft.subject = subject; mask.append("subject") }
                if let body { draft.body = try Templates.read(body); mask.append("body") }
                if let html { draft.bodyKind = html ? .html : .plain; mask.append("body_kind") }
                if retire || restore { draft.active = restore; mask.append("active") }
                guard !mask.isEmpty else { throw CLIFailure(.usage, "nothing to change: give --name, --subject, --body, --html, --retire or --restore") }
                let t = try await connection.withComms(changing: true) { client, options in
                    try await client.updateTemplate(CommsV1.UpdateTemplateRequest(id: id, draft: draft, updateMask: mask), options: options)
                }
                try output.print(t, oneLine("Changed template \(t.id) (\(t.name)); version \(t.version)."))
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a subject and body without saving them.")
        @Option(help: "The subject.") var subject: String
        @Option(help: ArgumentHelp("A file holding the body.", valueName: "path")) var body: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let answer = try await connection.withComms { client, options in
                    try await client.validateTemplate(CommsV1.ValidateTemplateRequest(subject: subject, body: try Templates.read(body), bodyKind: Templates.kind(false, body)), options: options)
                }
                if output.json { try output.printJSON(answer) } else if answer.problems.isEmpty {
                    print("Valid; it uses \(answer.tags.isEmpty ? "no tags" : answer.tags.joined(separator: " ")).")
                } else {
                    output.printTable(Table(header: ["part", "offset", "tag", "problem"], rows: answer.problems.map { [$0.part, String($0.offset), $0.tag, $0.message] }))
                }
                if !answer.problems.isEmpty { throw ExitCode(CLIFailure.Kind.usage.rawValue) }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a template (messages sent keep their text).")
        @Argument(help: "The template's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withComms(changing: true) { client, options in
                    try await client.deleteTemplate(CommsV1.DeleteTemplateRequest(id: id), options: options)
                }
                print("Deleted template \(id).")
            }
        }
    }
}

/// `crm send`: a template to leads.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a template to leads (--lead N...), or to every lead a filter finds (managers): each message rendered for its lead, queued, delivered by crm-comms.",
        discussion: """
            A lead you may not see, without an e-mail, or without a value for one of the template's tags gets no message; each is \
            listed with why. Before a mass message by filter the first message and the count are shown, and on a terminal you \
            are asked to confirm (--yes for scripts).
            """)
    @Argument(help: "The template's id.") var template: Int64
    @Option(name: .customLong("lead"), help: "A lead's id (repeat for more).") var leads: [Int64] = []
    @OptionGroup var filter: LeadFilterOptions
    @Flag(help: "Render and report, sending nothing: the first message and the count.") var dryRun = false
    @Flag(help: "Send even when a tag has no value for a lead (left empty).") var allowEmpty = false
    @Flag(help: "Send a mass message without asking.") var yes = false
    @Flag(help: "Wait until every message is delivered or has failed, with progress on a terminal (the default on a terminal).") var wait = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reporting {
            let byFilter = leads.isEmpty
            guard !byFilter || !filter.isEmpty else {
                throw CLIFailure(.usage, "name the leads with --lead N (repeat for more), or narrow them with filter options such as --country ES --state pending")
            }
            guard byFilter || filter.isEmpty else { throw CLIFailure(.usage, "give --lead or filter options, not both") }
            var request = CommsV1.SendRequest(templateId: template, leadIds: leads, dryRun: dryRun, allowEmptyValues: allowEmpty)
            if byFilter { request.filter = try await filter.filter(connection) }
            if byFilter && !dryRun && !yes {
                // The preview and the count first: a mass message is not taken back.
                var preview = request
                preview.dryRun = true
                let planned = try await connection.withComms { client, options in try await client.send(preview, options: options) }
                show(planned, dryRun: true)
                guard isatty(STDIN_FILENO) == 1 else {
                    throw CLIFailure(.usage, "this sends \(planned.count) messages: add --yes to send them without a terminal to confirm on")
                }
                FileHandle.standardError.write(Data("Send \(planned.count) messages? [y/N] ".utf8))
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    print("Nothing sent.")
                    return
                }
            }
            let answer = try await connection.withComms(changing: !dryRun) { client, options in try await client.send(request, options: options) }
            if output.json { try output.printJSON(answer); return }
            show(answer, dryRun: dryRun)
            if !dryRun && !answer.messages.isEmpty && (wait || isatty(STDERR_FILENO) == 1) {
                try await watchDelivery(answer.messages.map(\.id))
            }
            if !answer.failures.isEmpty { throw ExitCode(CLIFailure.Kind.failed.rawValue) }
        }
    }

    /// Shows the delivery of the queued messages until each is sent or has failed (one still
    /// being retried is reported as such once nothing else moves). Ctrl-C stops only the watching.
    private func watchDelivery(_ ids: [Int64]) async throws {
        let progress = Progress(label: "Delivering")
        if progress.enabled { FileHandle.standardError.write(Data("Delivery goes on in crm-comms; Ctrl-C stops only the watching.\n".utf8)) }
        func count(_ statuses: [CommsV1.DeliveryStatus]) async throws -> Int {
            var total = 0
            for chunk in stride(from: 0, to: ids.count, by: 10_000) {
                let request = CommsV1.ListMessagesRequest(statuses: statuses, pageSize: 1, ids: Array(ids[chunk..<min(chunk + 10_000, ids.count)]))
                total += Int(try await connection.withComms { client, options in try await client.listMessages(request, options: options) }.totalCount)
            }
            return total
        }
        var sent = 0, failed = 0, retrying = 0
        while true {
            (sent, failed, retrying) = (try await count([.sent]), try await count([.failed]), try await count([.retrying]))
            progress.update(sent, of: ids.count, "delivered" + (failed > 0 ? ", \(failed) failed" : ""))
            if sent + failed + retrying == ids.count { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        progress.finish()
        print("Delivered \(sent) of \(ids.count) messages" + (failed > 0 ? "; \(failed) failed (crm messages list --status failed)" : "")
              + (retrying > 0 ? "; \(retrying) will be retried (crm messages list --status retrying)" : "") + ".")
    }

    private func show(_ answer: CommsV1.SendResponse, dryRun: Bool) {
        if dryRun, let first = answer.messages.first {
            print("To: \(first.to)\nSubject: \(first.subject)\n\n\(first.body)\n")
        }
        if !answer.failures.isEmpty {
            output.printTable(Table(header: ["lead", "not sent because"], rows: answer.failures.map { [String($0.id), $0.status?.message ?? ""] }))
        }
        print("\(dryRun ? "Would send" : "Queued") \(answer.count) messages; \(answer.failures.count) leads left out.")
    }
}

struct Messages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The messages sent to leads, and their delivery.", subcommands: [List.self, Show.self, Retry.self])

    static func status(_ s: CommsV1.DeliveryStatus) -> String { cliName(s.protoName, prefix: "DELIVERY_STATUS_") }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages, newest first: a lead's communication history with --lead.")
        @Option(help: "Only to this lead.") var lead: Int64 = 0
        @Option(help: "Only with these statuses: queued, sending, sent, retrying, failed.") var status = ""
        @Option(help: "How many (1-500).") var limit: Int32 = 50
        @Option(help: ArgumentHelp("The page after the one that printed this token.", valueName: "token")) var page = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let statuses = try LeadFilterOptions.list(status).compactMap {
                    try parseEnum($0, prefix: "DELIVERY_STATUS_", option: "--status", all: CommsV1.DeliveryStatus.allCases, name: \.protoName)
                }
                let answer = try await connection.withComms { client, options in
                    try await client.listMessages(CommsV1.ListMessagesRequest(leadId: lead, statuses: statuses, pageSize: limit, pageToken: page), options: options)
                }
                var table = Table(header: ["id", "lead", "to", "subject", "status", "attempts", "queued", "sent"])
                for m in answer.messages {
                    table.rows.append([String(m.id), String(m.leadId), m.to, m.subject, Messages.status(m.status), String(m.attempts), showTime(m.createdAt), showTime(m.sentAt)])
                }
                try output.print(answer, table)
                if !output.json && !output.csv && !answer.nextPageToken.isEmpty { print("next page: --page \(answer.nextPageToken)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a message as it was sent.")
        @Argument(help: "The message's id.") var id: Int64
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let m = try await connection.withComms { client, options in try await client.getMessage(CommsV1.GetMessageRequest(id: id), options: options) }
                try output.print(m, details([
                    ("id", String(m.id)), ("lead", String(m.leadId)), ("to", m.to), ("subject", m.subject), ("status", Messages.status(m.status)),
                    ("attempts", String(m.attempts)), ("last error", m.lastError), ("next attempt", showTime(m.nextAttemptAt)), ("queued", showTime(m.createdAt)),
                    ("sent", showTime(m.sentAt)), ("message-id", m.messageId), ("body", m.body),
                ]))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a failed message for another round of attempts.")
        @Argument(help: "The message's id.") var id: Int64
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                _ = try await connection.withComms(changing: true) { client, options in try await client.retryMessage(CommsV1.RetryMessageRequest(id: id), options: options) }
                print("Queued message \(id) again.")
            }
        }
    }
}
