/// Who is calling, as their token says.
public struct Caller: Sendable, Hashable, Codable {
    /// The user's id.
    public var userID: Int64
    /// Their role.
    public var role: Role
    /// Their unit; 0 for none.
    public var unitID: Int64

    public init(userID: Int64, role: Role, unitID: Int64) {
        self.userID = userID
        self.role = role
        self.unitID = unitID
    }
}
