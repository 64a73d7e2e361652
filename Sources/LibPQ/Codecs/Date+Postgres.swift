#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The binary `timestamp`/`timestamptz` format: an `Int64` count of microseconds since
/// 2000-01-01 00:00:00 UTC, with `Int64.max` and `Int64.min` standing for `infinity` and `-infinity`.
enum PostgresTimestampFormat {
    /// Microseconds from 2000-01-01 (PostgreSQL's epoch) to 2001-01-01 (Foundation's reference date).
    static let referenceDateOffset: Int64 = 31_622_400_000_000
    /// PostgreSQL's first valid timestamp, 4714-11-24 00:00:00 BC (`MIN_TIMESTAMP`).
    static let minimum: Int64 = -211_813_488_000_000_000
    /// One past PostgreSQL's last valid timestamp, 294277-01-01 00:00:00 (`END_TIMESTAMP`).
    static let end: Int64 = 9_223_371_331_200_000_000

    /// Microseconds since 2000-01-01 UTC, rounded to the nearest microsecond, ties to even (the way the
    /// server rounds fractional seconds it parses). Throws ``PostgresCodingError/outOfRange(_:)`` outside the
    /// range PostgreSQL accepts (4713 BC to 294276 AD) and for a NaN time interval.
    static func microseconds(from date: Date) throws(PostgresCodingError) -> Int64 {
        let sinceReference = (date.timeIntervalSinceReferenceDate * 1_000_000).rounded(.toNearestOrEven)
        guard sinceReference >= Double(minimum - referenceDateOffset),
            sinceReference < Double(end - referenceDateOffset)
        else {
            throw .outOfRange("the date is outside PostgreSQL's timestamp range (4713 BC to 294276 AD)")
        }
        return Int64(sinceReference) + referenceDateOffset
    }

    /// The `Date` for microseconds since 2000-01-01 UTC; infinities throw ``PostgresCodingError/outOfRange(_:)``.
    static func date(fromMicroseconds microseconds: Int64) throws(PostgresCodingError) -> Date {
        switch microseconds {
        case .max: throw .outOfRange("infinity cannot be represented as Date")
        case .min: throw .outOfRange("-infinity cannot be represented as Date")
        default: break
        }
        let (sinceReference, overflow) = microseconds.subtractingReportingOverflow(referenceDateOffset)
        guard !overflow else { throw .outOfRange("the timestamp is outside Date's range") }
        // Exact for any timestamp within about 285 years of 2001; beyond that Double itself cannot hold
        // every microsecond.
        return Date(timeIntervalSinceReferenceDate: Double(sinceReference) / 1_000_000)
    }
}

/// `Date` binds as `timestamp with time zone`, always in UTC.
///
/// Sent as microseconds since 2000-01-01 00:00:00 UTC, rounded to the nearest microsecond (ties to
/// even), so a `Date` read back may differ from the one written by less than half a microsecond.
///
/// Writing a `Date` into a `timestamp without time zone` column (Vendure's choice) makes the server convert
/// it with the session `TimeZone`; the connection sets `TimeZone=UTC`, so the column holds the UTC wall
/// time. To bind as `timestamp` directly, independent of that setting, wrap the date in
/// ``PostgresTimestamp``.
///
/// Decodes from `timestamptz`, from `timestamp` (read as UTC), and from `date` (UTC midnight). `infinity`
/// and `-infinity` throw ``PostgresCodingError/outOfRange(_:)``.
extension Date: PostgresArrayElement {
    /// `timestamp with time zone`.
    public static var postgresType: PostgresDataType { .timestamptz }
    /// `timestamp with time zone[]`.
    public static var postgresArrayType: PostgresDataType { .timestamptzArray }

    /// Writes microseconds since 2000-01-01 UTC; dates PostgreSQL cannot store throw
    /// ``PostgresCodingError/outOfRange(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(try PostgresTimestampFormat.microseconds(from: self))
    }

    /// Decodes `timestamptz`, `timestamp` (as UTC) or `date` (UTC midnight).
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        switch type {
        case .timestamptz, .timestamp:
            self = try PostgresTimestampFormat.date(fromMicroseconds: try buffer.readInteger(as: Int64.self))
        case .date:
            self = try PostgresDate(from: &buffer, type: type).date
        default:
            throw .typeMismatch
        }
    }
}

/// A `Date` bound as `timestamp without time zone` (its UTC wall time) instead of `timestamptz`.
///
/// A plain `Date` is sent as `timestamptz`, and the server converts it for a `timestamp` column using the
/// session `TimeZone`. This wrapper sends the UTC wall time as `timestamp` itself, so the stored value never
/// depends on that setting, and comparisons with `timestamp` columns need no conversion:
/// ```swift
/// "UPDATE session SET expires = \(PostgresTimestamp(expiry)) WHERE id = \(id)"
/// ```
public struct PostgresTimestamp: Hashable, Comparable, Sendable {
    /// The instant, read and written as UTC.
    public var date: Date

    /// Wraps `date`.
    public init(_ date: Date) { self.date = date }

    /// Orders by ``date``.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.date < rhs.date }
}

extension PostgresTimestamp: PostgresArrayElement {
    /// `timestamp without time zone`.
    public static var postgresType: PostgresDataType { .timestamp }
    /// `timestamp without time zone[]`.
    public static var postgresArrayType: PostgresDataType { .timestampArray }

    /// Writes the UTC wall time as microseconds since 2000-01-01, like `Date`.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        try date.encode(into: &buffer)
    }

    /// Decodes `timestamp`, `timestamptz` or `date`, like `Date`.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        date = try Date(from: &buffer, type: type)
    }
}
