/// Unix milliseconds (UTC) to and from the text people and CSV files use: ISO 8601 dates
/// ("2026-11-23") and times ("2026-11-23T09:30:00Z", "2026-11-23T10:30+01:00"), or the
/// milliseconds themselves. Written out by hand (civil-date arithmetic) because imports parse
/// millions of them and Foundation's formatters are slow and locale-dependent.
public enum Timestamp {
    /// The instant `text` names, or nil when it is not one of the accepted forms.
    public static func parse(_ text: some StringProtocol) -> Int64? {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return nil }
        if s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) || (s.first == UInt8(ascii: "-") && s.count > 1) {
            return Int64(String(decoding: s, as: UTF8.self))
        }
        var i = 0
        func number(_ digits: Int) -> Int64? {
            guard i + digits <= s.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let c = s[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int64(c - 0x30)
                i += 1
            }
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var millis = days(year: year, month: month, day: day) * 86_400_000
        if i == s.count { return millis }
        guard expect("T") || expect(" "), let hour = number(2), expect(":"), let minute = number(2), hour < 24, minute < 60 else { return nil }
        millis += (hour * 60 + minute) * 60_000
        if expect(":") {
            guard let second = number(2), second < 60 else { return nil }
            millis += second * 1000
            if expect(".") {
                var fraction: Int64 = 0, scale: Int64 = 100
                guard i < s.count, s[i] >= 0x30 && s[i] <= 0x39 else { return nil }
                while i < s.count, s[i] >= 0x30 && s[i] <= 0x39 {
                    fraction += Int64(s[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                }
                millis += fraction
            }
        }
        if expect("Z") { return i == s.count ? millis : nil }
        let sign: Int64
        if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
        guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24, offsetMinutes < 60, i == s.count else { return nil }
        return millis - sign * (offsetHours * 60 + offsetMinutes) * 60_000
    }

    /// "2026-11-23T09:30:00Z" (with milliseconds only when there are some).
    public static func format(_ millis: Int64) -> String {
        let (dayNumber, rest) = floorDivide(millis, 86_400_000)
        let (y, m, d) = civil(dayNumber)
        let seconds = rest / 1000, ms = rest % 1000
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if ms != 0 { out += "." + pad(ms, 3) }
        return out + "Z"
    }

    /// "2026-11-23", the UTC date of `millis`.
    public static func formatDate(_ millis: Int64) -> String {
        let (y, m, d) = civil(floorDivide(millis, 86_400_000).0)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (civil_from_days).
    private static func civil(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
