import Foundation
import Testing

@testable import LibPQ

@Suite("numeric codec")
struct NumericCodecTests {
    func decimal(_ text: String) -> Decimal { Decimal(string: text)! }

    /// Bytes from the server's numeric_send (PostgreSQL 15).
    @Test(arguments: [
        ("1.5", "0002 0000 0000 0001 0001 1388"),
        ("-123.456", "0002 0000 4000 0003 007b 11d0"),
        ("1e30", "0001 0007 0000 0000 0064"),
        ("1e-20", "0001 fffb 0000 0014 0001"),
        ("0", "0000 0000 0000 0000"),
    ])
    func encodesLikeTheServer(text: String, wire: String) throws {
        #expect(try encoded(decimal(text)) == hex(wire))
        #expect(try decoded(Decimal.self, from: hex(wire), type: .numeric) == decimal(text))
    }

    @Test func oneAndAHalfHasTheExpectedHeader() throws {
        let bytes = try encoded(decimal("1.5"))
        // ndigits 2, weight 0, sign 0, dscale 1, digits [1, 5000]
        #expect(bytes == hex("0002 0000 0000 0001 0001 1388"))
    }

    @Test func nanRoundTrips() throws {
        #expect(try encoded(Decimal.nan) == hex("0000 0000 c000 0000"))
        #expect(try decoded(Decimal.self, from: hex("0000 0000 c000 0000"), type: .numeric).isNaN)
    }

    @Test func infinitiesAreOutOfRange() {
        // numeric_send('Infinity') and numeric_send('-Infinity') on PostgreSQL 15.
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0000 0000 d000 0020"), type: .numeric) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0000 0000 f000 0020"), type: .numeric) } == .outOfRange)
    }

    @Test func trailingScaleZerosDecodeToTheSameValue() throws {
        // numeric_send(1.50): dscale 2.
        #expect(try decoded(Decimal.self, from: hex("0002 0000 0000 0002 0001 1388"), type: .numeric) == decimal("1.5"))
    }

    @Test(arguments: [
        "0", "1", "-1", "0.0001", "-0.0001", "1.5", "-123.456", "9999", "10000", "10001", "123456789.987654321",
        "12345678901234567890.123456789", "1e30", "1e-20", "1e100", "-7e-90",
        "99999999999999999999999999999999999999", "340282366920938463463374607431768211455",
    ])
    func valuesRoundTrip(text: String) throws {
        let value = decimal(text)
        let back = try roundTrip(value)
        #expect(back == value)
        #expect(back.description == value.description)
    }

    @Test func extremeDecimalsRoundTrip() throws {
        for value in [Decimal.greatestFiniteMagnitude, -Decimal.greatestFiniteMagnitude, Decimal.leastNonzeroMagnitude] {
            #expect(try roundTrip(value) == value)
        }
    }

    @Test func scaleIsTheDecimalsOwn() throws {
        // dscale is the fourth Int16.
        #expect(Array(try encoded(decimal("2.25"))[6..<8]) == [0, 2])
        #expect(Array(try encoded(decimal("100"))[6..<8]) == [0, 0])
        #expect(Array(try encoded(decimal("1e-20"))[6..<8]) == [0, 20])
    }

    @Test func moreDigitsThanDecimalHoldsIsOutOfRange() {
        // 40 significant digits: ten base-10000 groups of 9999.
        var bytes = hex("000a 0009 0000 0000")
        for _ in 0..<10 { bytes += hex("270f") }
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: bytes, type: .numeric) } == .outOfRange)
    }

    @Test func magnitudeBeyondDecimalIsOutOfRange() {
        // 9999 * 10000^60 (= ~1e244) and 1 * 10000^-60 (1e-240).
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0001 003c 0000 0000 270f"), type: .numeric) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0001 ffc4 0000 00f0 0001"), type: .numeric) } == .outOfRange)
    }

    @Test func largeExponentShiftsIntoTheSignificand() throws {
        // 1 * 10000^32 = 1e128: Decimal's exponent stops at 127, so one zero moves into the significand.
        let value = try decoded(Decimal.self, from: hex("0001 0020 0000 0000 0001"), type: .numeric)
        #expect(value == Decimal(sign: .plus, exponent: 127, significand: 10))
    }

    @Test func badHeadersAreMalformed() {
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0001 0000 0000 0000 2710"), type: .numeric) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("ffff 0000 0000 0000"), type: .numeric) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0000 0000 1234 0000"), type: .numeric) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(Decimal.self, from: hex("0002 0000 0000 0000 0001"), type: .numeric) } == .malformed)
    }

    @Test func nonNumericColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded(Decimal.self, from: hex("3F F0 00 00 00 00 00 00"), type: .float8) } == .typeMismatch)
    }
}
