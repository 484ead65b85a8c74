import CRMDomain

/// The rules every activity, task and incident follows, checked before anything is stored.
public enum WorkRules {
    public static let subject = TextLimit(characters: 200, required: true)
    public static let description = TextLimit(characters: 5_000, multiline: true)
    public static let location = TextLimit(characters: 500)
    public static let outcome = TextLimit(characters: 2_000, multiline: true)
    public static let link = TextLimit(characters: 2_000)
    /// How long an activity lasts when no end is given.
    public static let defaultDurationMillis: Int64 = 30 * 60 * 1000
    /// The longest an activity may last (a year).
    public static let maxDurationMillis: Int64 = 366 * 24 * 3600 * 1000
    /// Timestamps from 1970 to the year 9999 (Unix ms).
    public static let instants: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Checks an activity's fields (prefix: "activity"), filling in the end when 0.
    public static func check(_ activity: inout ActivityRecord, into v: inout Violations) {
        subject.check(activity.subject, field: "activity.subject", into: &v)
        description.check(activity.description, field: "activity.description", into: &v)
        location.check(activity.location, field: "activity.location", into: &v)
        if activity.leadID <= 0 { v.add("activity.lead_id", "is required") }
        if activity.typeID <= 0 { v.add("activity.type_id", "is required") }
        if activity.startAt == 0 {
            v.add("activity.start_at", "is required")
        } else if !instants.contains(activity.startAt) {
            v.add("activity.start_at", "must be a Unix time in milliseconds from 1970 to 9999")
        } else {
            if activity.endAt == 0 { activity.endAt = activity.startAt + defaultDurationMillis }
            if !instants.contains(activity.endAt) {
                v.add("activity.end_at", "must be a Unix time in milliseconds from 1970 to 9999")
            } else if activity.endAt < activity.startAt {
                v.add("activity.end_at", "must not be before start_at")
            } else if activity.endAt - activity.startAt > maxDurationMillis {
                v.add("activity.end_at", "must be within a year of start_at")
            }
        }
    }

    /// Checks a task's fields (prefix: "task").
    public static func check(_ task: TaskRecord, into v: inout Violations) {
        subject.check(task.title, field: "task.title", into: &v)
        description.check(task.description, field: "task.description", into: &v)
        if task.dueAt != 0 && !instants.contains(task.dueAt) { v.add("task.due_at", "must be a Unix time in milliseconds from 1970 to 9999") }
        if task.typeID < 0 { v.add("task.type_id", "must not be negative") }
        if task.leadID < 0 { v.add("task.lead_id", "must not be negative") }
    }

    /// Checks an incident's fields (prefix: "incident").
    public static func check(_ incident: IncidentRecord, into v: inout Violations) {
        subject.check(incident.title, field: "incident.title", into: &v)
        description.check(incident.description, field: "incident.description", into: &v)
        link.check(incident.link, field: "incident.link", into: &v)
        if !incident.link.isEmpty && !isWebLink(incident.link) {
            v.add("incident.link", "must be an http:// or https:// URL with a host and no spaces")
        }
        if incident.typeID <= 0 { v.add("incident.type_id", "is required") }
        if incident.leadID < 0 { v.add("incident.lead_id", "must not be negative") }
        if !instants.contains(incident.startAt) { v.add("incident.start_at", "must be a Unix time in milliseconds from 1970 to 9999") }
        if incident.endAt != 0 {
            if !instants.contains(incident.endAt) {
                v.add("incident.end_at", "must be a Unix time in milliseconds from 1970 to 9999")
            } else if incident.endAt < incident.startAt {
                v.add("incident.end_at", "must not be before start_at")
            }
        }
    }

    /// An absolute http(s) URL with a host, printable ASCII only (a browser's encoding of anything else).
    public static func isWebLink(_ text: String) -> Bool {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else { return false }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let name = host.split(separator: "@").last.map { $0.split(separator: ":").first ?? "" } ?? ""
        return !name.isEmpty
    }

    /// An open activity or task may change, complete or be cancelled; closed work stays as it was.
    public static func requireOpen(_ status: WorkStatus, what: String) throws(DomainError) {
        guard status == .open else {
            throw DomainError.failedPrecondition("\(what) is \(status.rawValue); only open work can change")
        }
    }

    /// A closed incident is final.
    public static func requireNotClosed(_ status: IncidentStatus, what: String) throws(DomainError) {
        guard status != .closed else {
            throw DomainError.failedPrecondition("\(what) is closed; a closed incident does not change")
        }
    }

    /// The version a change names must be the one stored (0 skips the check).
    public static func requireVersion(_ given: Int64, current: Int64, what: String) throws(DomainError) {
        guard given == 0 || given == current else {
            throw DomainError.stale("\(what) changed since it was read (version \(current), not \(given)); read it again")
        }
    }
}
