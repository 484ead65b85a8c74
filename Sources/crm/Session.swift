import Foundation

/// The token `crm login` obtained, kept in the user's config folder readable by them alone.
struct Session: Codable {
    var login: String
    var token: String
    var expiresAt: Int64

    /// $XDG_CONFIG_HOME/crm, or ~/.config/crm: the session and the config file.
    static var folder: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return base.appendingPathComponent("crm")
    }

    /// $XDG_CONFIG_HOME/crm/session.json, or ~/.config/crm/session.json.
    static var file: URL { folder.appendingPathComponent("session.json") }

    static func load() throws -> Session? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let session = try JSONDecoder().decode(Session.self, from: data)
        return session.expiresAt > Int64(Date().timeIntervalSince1970 * 1000) ? session : nil
    }

    func save() throws {
        let folder = Self.file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Created with owner-only permissions before the token is written into it.
        _ = FileManager.default.createFile(atPath: Self.file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: Self.file.path)
        let handle = try FileHandle(forWritingTo: Self.file)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try JSONEncoder().encode(self))
        try handle.close()
    }

    static func remove() throws {
        if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
    }
}
