import Foundation
import Testing

@testable import LibPQ

@Suite("timestamp codecs")
struct TimestampCodecTests {
    /// 2000-01-01 00:00:00 UTC, PostgreSQL's epoch.
    let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    @Test func epochIsZero() throws {
        #expect(try encoded(postgresEpoch) == hex("0000 0000 0000 0000"))
        #expect(try decoded(Date.self, from: hex("0000 0000 0000 0000"), type: .timestamptz) == postgresEpoch)
        #expect(Date.postgresType == .timestamptz)
    }

    @Test func matchesServerBytes() throws {
        // timestamp_send('1970-01-01 00:00:00.000001').
        let bytes = hex("fffca2fec4c82001")
        let date = Date(timeIntervalSince1970: 0.000001)
        #expect(try encoded(date) == bytes)
        #expect(try decoded(Date.self, from: bytes, type: .timestamp) == date)
    }

    @Test func roundsToTheNearestMicrosecond() throws {
        #expect(try encoded(postgresEpoch.addingTimeInterval(0.000_000_4)) == hex("0000 0000 0000 0000"))
        #expect(try encoded(postgresEpoch.addingTimeInterval(0.000_000_6)) == hex("0000 0000 0000 0001"))
        #expect(try encoded(postgresEpoch.addingTimeInterval(-0.000_000_6)) == hex("ffff ffff ffff ffff"))
    }

    @Test func microsecondsRoundTripExactly() throws {
        // 2024-05-06 12:34:56.789012 UTC and a sample of other instants, as microseconds since 2000.
        for micros: Int64 in [768_314_096_789_012, 1, -1, 999_999, -946_684_800_000_000, 3_155_760_000_000_000, -3_155_760_000_000_000] {
            var wire = PostgresWriteBuffer()
            wire.writeInteger(micros)
            let date = try decoded(Date.self, from: wire.bytes, type: .timestamp)
            #expect(try encoded(date) == wire.bytes)
        }
    }

    @Test func nowRoundTripsWithinHalfAMicrosecond() throws {
        let now = Date()
        let back = try roundTrip(now)
        #expect(abs(back.timeIntervalSince(now)) <= 0.000_000_5 + 1e-9)
    }

    @Test func infinityIsOutOfRange() {
        #expect(codingError { _ = try decoded(Date.self, from: hex("7fff ffff ffff ffff"), type: .timestamp) }
            == .outOfRange("infinity cannot be represented as Date"))
        #expect(codingError { _ = try decoded(Date.self, from: hex("8000 0000 0000 0000"), type: .timestamptz) }
            == .outOfRange("-infinity cannot be represented as Date"))
    }

    @Test func datesPostgresCannotStoreAreOutOfRange() {
        #expect(codingErrorKind { _ = try encoded(Date(timeIntervalSince1970: 1e16)) } == .outOfRange)
        #expect(codingErrorKind { _ = try encoded(Date(timeIntervalSince1970: -1e16)) } == .outOfRange)
        #expect(codingErrorKind { _ = try encoded(Date(timeIntervalSinceReferenceDate: .nan)) } == .outOfRange)
        #expect(codingErrorKind { _ = try encoded(Date(timeIntervalSinceReferenceDate: .infinity)) } == .outOfRange)
        // Foundation's far dates are inside PostgreSQL's range.
        #expect(codingErrorKind { _ = try encoded(Date.distantFuture) } == nil)
        #expect(codingErrorKind { _ = try encoded(Date.distantPast) } == nil)
    }

    @Test func dateColumnDecodesToUTCMidnight() throws {
        // date_send('2024-02-29').
        let date = try decoded(Date.self, from: hex("00002279"), type: .date)
        #expect(date == Date(timeIntervalSince1970: 1_709_164_800))
    }

    @Test func postgresTimestampBindsAsTimestampWithTheSameBytes() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        #expect(PostgresTimestamp.postgresType == .timestamp)
        #expect(PostgresTimestamp.postgresArrayType == .timestampArray)
        #expect(try encoded(PostgresTimestamp(date)) == encoded(date))
        #expect(try roundTrip(PostgresTimestamp(date)).date == roundTrip(date))
    }

    @Test func otherColumnTypesAreTypeMismatch() {
        #expect(codingError { _ = try decoded(Date.self, from: hex("0000 0000 0000 0000"), type: .int8) } == .typeMismatch)
        #expect(codingError { _ = try decoded(PostgresTimestamp.self, from: hex("0000 0000"), type: .text) } == .typeMismatch)
    }
}

@Suite("date codec")
struct PostgresDateCodecTests {
    @Test func knownDays() throws {
        let leapDay = try #require(PostgresDate(year: 2024, month: 2, day: 29))
        #expect(leapDay.daysSince2000 == 8825)
        #expect(try encoded(leapDay) == hex("00002279"))
        #expect(try encoded(#require(PostgresDate(year: 1970, month: 1, day: 1))) == hex("ffffd533"))
        #expect(PostgresDate(year: 2000, month: 1, day: 1)?.daysSince2000 == 0)
        #expect(PostgresDate(year: 1999, month: 12, day: 31)?.daysSince2000 == -1)
        #expect(leapDay.description == "2024-02-29")
        #expect(leapDay.date == Date(timeIntervalSince1970: 1_709_164_800))
    }

    @Test func invalidCalendarDaysAreNil() {
        #expect(PostgresDate(year: 2023, month: 2, day: 29) == nil)
        #expect(PostgresDate(year: 1900, month: 2, day: 29) == nil)
        #expect(PostgresDate(year: 2024, month: 13, day: 1) == nil)
        #expect(PostgresDate(year: 2024, month: 4, day: 31) == nil)
        #expect(PostgresDate(year: 2024, month: 1, day: 0) == nil)
        #expect(PostgresDate(year: 0, month: 2, day: 29) != nil)  // 1 BC was a leap year
    }

    @Test func civilConversionIsConsistentAcrossTheRange() throws {
        var previous: PostgresDate?
        for days in stride(from: Int32(-2_451_545), to: 3_000_000, by: 997) {
            let date = PostgresDate(daysSince2000: days)
            let again = try #require(PostgresDate(year: date.year, month: date.month, day: date.day))
            #expect(again == date)
            if let previous { #expect(previous < date) }
            previous = date
        }
        #expect(PostgresDate(daysSince2000: -2_451_545).description == "-4713-11-24")
    }

    @Test func fromDateTakesTheUTCDay() throws {
        #expect(try PostgresDate(Date(timeIntervalSince1970: -3600)).description == "1969-12-31")
        #expect(try PostgresDate(Date(timeIntervalSince1970: 1_709_251_199)).description == "2024-02-29")
        #expect(codingErrorKind { _ = try PostgresDate(Date(timeIntervalSince1970: 1e300)) } == .outOfRange)
    }

    @Test func infinityAndOutOfRangeDays() {
        #expect(codingErrorKind { _ = try decoded(PostgresDate.self, from: hex("7fffffff"), type: .date) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(PostgresDate.self, from: hex("80000000"), type: .date) } == .outOfRange)
        #expect(codingErrorKind { _ = try encoded(PostgresDate(daysSince2000: -2_451_546)) } == .outOfRange)
        #expect(codingErrorKind { _ = try encoded(PostgresDate(daysSince2000: Int32.max - 1)) } == .outOfRange)
        #expect(codingError { _ = try decoded(PostgresDate.self, from: hex("00000000"), type: .int4) } == .typeMismatch)
    }
}
