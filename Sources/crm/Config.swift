import ArgumentParser
import CRMAPI
import CRMRPC
import CRMWire
import Foundation

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the lead configuration; admins add catalog entries and choose the duplicate fields (other changes: `crm call LeadConfig ...`).",
        subcommands: [Show.self, Catalog.self, Duplicates.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the lead types, statuses, catalogs, labels and the active definition.")
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let options = try connection.signedIn()
                let config = try await connection.withLeads { rpc in
                    try await LeadsV1.LeadConfig.Client(rpc).getConfiguration(LeadsV1.GetConfigurationRequest(), options: options)
                }
                if output.json { return try output.printJSON(config) }
                let statusNames = Dictionary(config.statuses.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
                let sections: [(String, Table)] = [
                    ("Statuses", Table(header: ["id", "name", "state", "active"], rows: config.statuses.map {
                        [String($0.id), $0.name, $0.state.cliName, $0.active ? "yes" : "no"]
                    })),
                    ("Lead types", Table(header: ["id", "name", "initial status", "statuses", "active"], rows: config.types.map { t in
                        [String(t.id), t.name, statusNames[t.initialStatusId] ?? "", t.statusIds.map { statusNames[$0] ?? String($0) }.joined(separator: ", "), t.active ? "yes" : "no"]
                    })),
                    ("Catalog", Table(header: ["id", "kind", "name", "active"], rows: config.catalog.map {
                        [String($0.id), $0.kind.cliName, $0.name, $0.active ? "yes" : "no"]
                    })),
                    ("Priority labels", Table(header: ["level", "label", "supported"], rows: config.priorityLabels.map { [String($0.level), $0.label, $0.supported ? "yes" : "no"] })),
                    ("Importance labels", Table(header: ["level", "label", "supported"], rows: config.importanceLabels.map { [String($0.level), $0.label, $0.supported ? "yes" : "no"] })),
                    ("Definitions", Table(header: ["id", "name", "default type", "convert on win", "duplicate fields", "active"], rows: config.definitions.map { d in
                        [String(d.id), d.name, config.types.first { $0.id == d.defaultTypeId }?.name ?? String(d.defaultTypeId), d.convertOnWin ? "yes" : "no",
                         (d.duplicateFields.isEmpty ? ["emails", "phones"] : d.duplicateFields).joined(separator: ", "), d.active ? "yes" : "no"]
                    })),
                    ("Custom fields", Table(header: ["id", "key", "label", "required", "active"], rows: config.customFields.map {
                        [String($0.id), $0.key, $0.label, $0.required ? "yes" : "no", $0.active ? "yes" : "no"]
                    })),
                ]
                for (i, (title, table)) in sections.enumerated() where !table.rows.isEmpty || !output.csv {
                    if !output.csv { print((i == 0 ? "" : "\n") + title + ":") }
                    output.printTable(table)
                }
            }
        }
    }

    struct Duplicates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set which fields make two leads duplicates (for create, import and duplicate searches).",
            discussion: """
                Fields: emails, phones, company_name (the company and the full name together) and custom_fields.KEY (or a \
                custom field's key). Two leads sharing a value of any one of them are duplicates. With no fields, shows the \
                active definition's; --reset goes back to e-mails and phones. Admins only; existing leads are indexed again.
                """)
        @Argument(help: "The fields, in the order they are checked.") var fields: [String] = []
        @Flag(help: "Back to the default: e-mails and phones.") var reset = false
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                if reset && !fields.isEmpty { throw CLIFailure(.usage, "give fields or --reset, not both") }
                let options = try connection.signedIn(changing: !fields.isEmpty || reset)
                let definition = try await connection.withLeads { rpc in
                    let client = LeadsV1.LeadConfig.Client(rpc)
                    let config = try await client.getConfiguration(LeadsV1.GetConfigurationRequest(), options: options)
                    guard var active = config.definitions.first(where: \.active) else { throw CLIFailure(.failed, "no lead definition is active") }
                    guard !fields.isEmpty || reset else { return active }
                    let keys = Set(config.customFields.map(\.key))
                    // A custom field's key alone is taken as custom_fields.KEY, as an import's header is.
                    active.duplicateFields = fields.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
                        .filter { !$0.isEmpty }.map { keys.contains($0) ? "custom_fields.\($0)" : $0 }
                    return try await client.saveDefinition(LeadsV1.SaveDefinitionRequest(definition: active), options: options)
                }
                if output.json { return try output.printJSON(definition) }
                let shown = definition.duplicateFields.isEmpty ? ["emails", "phones"] : definition.duplicateFields
                print("Duplicates of definition \(definition.name): leads sharing \(shown.joined(separator: " or ")).")
            }
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a catalog (categories, lost reasons, competitors, source types), or add to it with --add.")
        @Argument(help: ArgumentHelp("The catalog: \(LeadsV1.CatalogKind.cliNames.joined(separator: ", ")).", valueName: "kind")) var kind: String
        @Option(help: ArgumentHelp("Add an entry with this name (admins).", valueName: "name")) var add: String?
        @Option(help: "The new entry's description.") var description = ""
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reporting {
                let catalogKind = try LeadsV1.CatalogKind(cliName: kind, option: "kind")
                if let add {
                    let options = try connection.signedIn(changing: true)
                    let item = try await connection.withLeads { rpc in
                        try await LeadsV1.LeadConfig.Client(rpc).saveCatalogItem(
                            LeadsV1.SaveCatalogItemRequest(item: LeadsV1.CatalogItem(kind: catalogKind, name: add, description: description, active: true)), options: options)
                    }
                    return try output.print(item, details([("id", String(item.id)), ("kind", item.kind.cliName), ("name", item.name), ("description", item.description)]))
                }
                let options = try connection.signedIn()
                let list = try await connection.withLeads { rpc in
                    try await LeadsV1.LeadConfig.Client(rpc).listCatalog(LeadsV1.ListCatalogRequest(kind: catalogKind), options: options)
                }
                try output.print(list, Table(header: ["id", "name", "description", "active"], rows: list.items.map {
                    [String($0.id), $0.name, $0.description, $0.active ? "yes" : "no"]
                }))
            }
        }
    }
}
