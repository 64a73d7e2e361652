#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A calendar day, as PostgreSQL's `date` type stores it: a count of days since 2000-01-01.
///
/// Days follow the proleptic Gregorian calendar with astronomical year numbering (year 0 is 1 BC), as
/// PostgreSQL's do. Binds as `date`; decodes from `date`, whose `infinity` and `-infinity` throw
/// ``PostgresCodingError/outOfRange(_:)``.
public struct PostgresDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 2000-01-01 (negative before it).
    public var daysSince2000: Int32

    /// Days from 1970-01-01 to 2000-01-01.
    static let unixEpochOffset = 10_957
    /// PostgreSQL's valid range: 4714-11-24 BC up to, not including, 5874898-01-01.
    static let validDays: Range<Int32> = -2_451_545..<2_145_031_949

    /// Creates a date from a day count since 2000-01-01.
    public init(daysSince2000: Int32) { self.daysSince2000 = daysSince2000 }

    /// Creates a date from a year, month (1–12) and day (1–31); `nil` for a day that does not exist, such as
    /// February 30, or for a year too far out for an `Int32` day count.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
            (-5_000_000...5_000_000).contains(year),
            let days = Int32(exactly: Self.daysSince1970(year: year, month: month, day: day) - Self.unixEpochOffset)
        else { return nil }
        daysSince2000 = days
    }

    /// The UTC calendar day that contains `date`. Throws ``PostgresCodingError/outOfRange(_:)`` for a date
    /// too far out for an `Int32` day count.
    public init(_ date: Date) throws(PostgresCodingError) {
        let days = (date.timeIntervalSince1970 / 86_400).rounded(.down) - Double(Self.unixEpochOffset)
        guard days >= Double(Int32.min), days <= Double(Int32.max) else {
            throw .outOfRange("the date is too far from 2000-01-01 for a day count")
        }
        daysSince2000 = Int32(days)
    }

    /// Midnight UTC at the start of this day.
    public var date: Date {
        Date(timeIntervalSince1970: Double(Int(daysSince2000) + Self.unixEpochOffset) * 86_400)
    }

    /// The year (astronomical: 0 is 1 BC, -1 is 2 BC).
    public var year: Int { civil.year }
    /// The month, 1–12.
    public var month: Int { civil.month }
    /// The day of the month, 1–31.
    public var day: Int { civil.day }

    /// `YYYY-MM-DD` (ISO 8601; years outside 0...9999 get a sign and more digits).
    public var description: String {
        let (y, m, d) = civil
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let year = y < 0 ? "-" + pad(-y, 4) : (y > 9999 ? "+" + String(y) : pad(y, 4))
        return "\(year)-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Orders by day.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.daysSince2000 < rhs.daysSince2000 }

    // Howard Hinnant's days_from_civil / civil_from_days (http://howardhinnant.github.io/date_algorithms.html).

    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    var civil: (year: Int, month: Int, day: Int) {
        let z = Int(daysSince2000) + Self.unixEpochOffset + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension PostgresDate: PostgresArrayElement {
    /// `date`.
    public static var postgresType: PostgresDataType { .date }
    /// `date[]`.
    public static var postgresArrayType: PostgresDataType { .dateArray }

    /// Writes the `Int32` day count; days PostgreSQL cannot store throw ``PostgresCodingError/outOfRange(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        guard Self.validDays.contains(daysSince2000) else {
            throw .outOfRange("the day is outside PostgreSQL's date range (4713 BC to 5874897 AD)")
        }
        buffer.writeInteger(daysSince2000)
    }

    /// Decodes `date`; `infinity` and `-infinity` throw ``PostgresCodingError/outOfRange(_:)``.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        guard type == .date else { throw .typeMismatch }
        let days = try buffer.readInteger(as: Int32.self)
        switch days {
        case .max: throw .outOfRange("infinity cannot be represented as a date")
        case .min: throw .outOfRange("-infinity cannot be represented as a date")
        default: daysSince2000 = days
        }
    }
}
