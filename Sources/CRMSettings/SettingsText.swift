import Foundation

// What the services and the command line share about settings: addresses and `key = value`
// files. Foundation only, so the `crm` command line links no server code.

/// A host and a port.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// A setting that is missing or malformed; the executable prints it and exits with status 64.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The text forms of settings.
public enum SettingsText {
    /// Parses "HOST:PORT" (IPv6 as "[::1]:PORT").
    public static func endpoint(_ text: String, setting: String) throws(SettingsError) -> Endpoint {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw SettingsError("\(setting) \(text): expected [HOST]:PORT") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw SettingsError("\(setting) \(text): expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw SettingsError("\(setting) \(text): the host is empty") }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw SettingsError("\(setting) \(text): the port must be a number from 0 to 65535")
        }
        return Endpoint(host: String(host), port: port)
    }

    /// Parses `key = value` lines; '#' starts a comment line.
    public static func configFile(_ text: String, path: String) throws(SettingsError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw SettingsError("\(path):\(index + 1): expected key = value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw SettingsError("\(path):\(index + 1): the key is empty") }
            values[key] = value
        }
        return values
    }

}
