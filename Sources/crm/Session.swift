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

    /// $XDG_CONFIG_HOME/crm/session.json (or ~/.config/crm/...), or session-NAME.json for a
    /// named profile: a person with two roles keeps a session for each.
    static func file(profile: String?) -> URL {
        folder.appendingPathComponent(profile.map { "session-\($0).json" } ?? "session.json")
    }

    /// A profile name: 1-40 of a-z, 0-9, '_' and '-'.
    static func check(profile: String?) throws {
        guard let profile else { return }
        guard (1...40).contains(profile.count), profile.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw CLIFailure(.usage, "--profile (or CRM_PROFILE) must be 1-40 of a-z, 0-9, '_' and '-' (got \"\(profile.prefix(50))\")")
        }
    }

    static func load(profile: String? = nil) throws -> Session? {
        try check(profile: profile)
        guard let data = FileManager.default.contents(atPath: file(profile: profile).path) else { return nil }
        let session = try JSONDecoder().decode(Session.self, from: data)
        return session.expiresAt > Int64(Date().timeIntervalSince1970 * 1000) ? session : nil
    }

    func save(profile: String? = nil) throws {
        try Self.check(profile: profile)
        let file = Self.file(profile: profile)
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Created with owner-only permissions before the token is written into it.
        _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try JSONEncoder().encode(self))
        try handle.close()
    }

    static func remove(profile: String? = nil) throws {
        try check(profile: profile)
        let file = file(profile: profile)
        if FileManager.default.fileExists(atPath: file.path) { try FileManager.default.removeItem(at: file) }
    }
}
