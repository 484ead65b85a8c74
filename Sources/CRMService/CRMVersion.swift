/// The version every executable reports (Health, --version).
public enum CRMVersion {
    public static let current = "0.1.0"
}
