import Foundation
import Testing

@testable import LibPQ

@Suite("Integer codecs")
struct IntegerCodecTests {
    @Test func int32EncodesAsFourBigEndianBytes() throws {
        #expect(try encoded(Int32(1)) == hex("00 00 00 01"))
        #expect(try encoded(Int32(-2)) == hex("FF FF FF FE"))
        #expect(Int32.postgresType == .int4)
    }

    @Test func eachWidthUsesItsOwnType() throws {
        #expect(try encoded(Int16(-2)) == hex("FF FE"))
        #expect(try encoded(Int64(1)) == hex("00 00 00 00 00 00 00 01"))
        #expect(try encoded(Int(1)) == hex("00 00 00 00 00 00 00 01"))
        #expect(try encoded(UInt32.max) == hex("FF FF FF FF"))
        #expect(Int16.postgresType == .int2)
        #expect(Int64.postgresType == .int8)
        #expect(Int.postgresType == .int8)
        #expect(UInt32.postgresType == .oid)
    }

    @Test func extremesRoundTrip() throws {
        for value in [Int64.min, -1, 0, 1, Int64.max] { #expect(try roundTrip(value) == value) }
        for value in [Int.min, 0, Int.max] { #expect(try roundTrip(value) == value) }
        for value in [Int32.min, 0, Int32.max] { #expect(try roundTrip(value) == value) }
        for value in [Int16.min, 0, Int16.max] { #expect(try roundTrip(value) == value) }
        for value in [UInt32.min, UInt32.max] { #expect(try roundTrip(value) == value) }
        #expect(try encoded(Int64.min) == hex("80 00 00 00 00 00 00 00"))
    }

    @Test func wideningAlwaysDecodes() throws {
        #expect(try decoded(Int64.self, from: hex("FF FE"), type: .int2) == -2)
        #expect(try decoded(Int.self, from: hex("80 00 00 00"), type: .int4) == Int(Int32.min))
        #expect(try decoded(Int32.self, from: hex("7F FF"), type: .int2) == 32767)
        #expect(try decoded(Int64.self, from: hex("FF FF FF FF"), type: .oid) == 4_294_967_295)
    }

    @Test func narrowingDecodesWhenTheValueFits() throws {
        #expect(try decoded(Int16.self, from: try encoded(Int64(-300)), type: .int8) == -300)
        #expect(try decoded(Int32.self, from: try encoded(Int64(Int32.max)), type: .int8) == Int32.max)
        #expect(try decoded(UInt32.self, from: try encoded(Int32(7)), type: .int4) == 7)
    }

    @Test func narrowingOverflowIsOutOfRange() throws {
        #expect(codingErrorKind { _ = try decoded(Int16.self, from: try encoded(Int32(40_000)), type: .int4) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(Int32.self, from: try encoded(Int64.max), type: .int8) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(Int32.self, from: hex("FF FF FF FF"), type: .oid) } == .outOfRange)
        #expect(codingErrorKind { _ = try decoded(UInt32.self, from: try encoded(Int32(-1)), type: .int4) } == .outOfRange)
    }

    @Test func nonIntegerColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded(Int32.self, from: hex("00 00 00 01"), type: .text) } == .typeMismatch)
        #expect(codingError { _ = try decoded(Int64.self, from: hex("3F F0 00 00 00 00 00 00"), type: .float8) } == .typeMismatch)
    }

    @Test func wrongByteCountIsMalformed() {
        #expect(codingErrorKind { _ = try decoded(Int32.self, from: hex("00 01"), type: .int4) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(Int32.self, from: hex("00 00 00 00 01"), type: .int4) } == .malformed)
    }
}

@Suite("Bool codec")
struct BoolCodecTests {
    @Test func encodesOneByte() throws {
        #expect(try encoded(true) == [1])
        #expect(try encoded(false) == [0])
        #expect(Bool.postgresType == .bool)
    }

    @Test func decodesZeroAndOneOnly() throws {
        #expect(try decoded(Bool.self, from: [1], type: .bool) == true)
        #expect(try decoded(Bool.self, from: [0], type: .bool) == false)
        #expect(codingErrorKind { _ = try decoded(Bool.self, from: [2], type: .bool) } == .malformed)
        #expect(codingError { _ = try decoded(Bool.self, from: [1], type: .int2) } == .typeMismatch)
    }
}

@Suite("Floating-point codecs")
struct FloatCodecTests {
    @Test func knownBitPatterns() throws {
        #expect(try encoded(1.0) == hex("3F F0 00 00 00 00 00 00"))
        #expect(try encoded(-Double.infinity) == hex("FF F0 00 00 00 00 00 00"))
        #expect(try encoded(Float.infinity) == hex("7F 80 00 00"))
        // The server's float8send('NaN').
        #expect(try decoded(Double.self, from: hex("7F F8 00 00 00 00 00 00"), type: .float8).isNaN)
    }

    @Test func specialValuesRoundTrip() throws {
        #expect(try roundTrip(Double.nan).isNaN)
        #expect(try roundTrip(Double.infinity) == .infinity)
        #expect(try roundTrip(-Double.infinity) == -.infinity)
        #expect(try roundTrip(-0.0 as Double).sign == .minus)
        #expect(try roundTrip(Double.leastNonzeroMagnitude) == .leastNonzeroMagnitude)
        #expect(try roundTrip(Double.greatestFiniteMagnitude) == .greatestFiniteMagnitude)
        #expect(try roundTrip(Float.nan).isNaN)
        #expect(try roundTrip(-Float.infinity) == -.infinity)
        #expect(try roundTrip(Float(3.25)) == 3.25)
    }

    @Test func decodesEitherWidth() throws {
        #expect(try decoded(Double.self, from: try encoded(Float(0.1)), type: .float4) == Double(Float(0.1)))
        #expect(try decoded(Float.self, from: try encoded(0.5), type: .float8) == 0.5)
        #expect(try decoded(Float.self, from: try encoded(Double.infinity), type: .float8) == .infinity)
        #expect(try decoded(Float.self, from: try encoded(Double.nan), type: .float8).isNaN)
    }

    @Test func finiteDoubleBeyondFloatIsOutOfRange() {
        #expect(codingErrorKind { _ = try decoded(Float.self, from: try encoded(1e300), type: .float8) } == .outOfRange)
    }

    @Test func integerColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded(Double.self, from: hex("00 00 00 01"), type: .int4) } == .typeMismatch)
    }
}

@Suite("String codec")
struct StringCodecTests {
    @Test func encodesUTF8AsText() throws {
        #expect(String.postgresType == .text)
        #expect(try encoded("") == [])
        #expect(try encoded("abc") == [0x61, 0x62, 0x63])
        #expect(try encoded("ü") == [0xC3, 0xBC])
        #expect(try encoded("😀") == [0xF0, 0x9F, 0x98, 0x80])
    }

    @Test func multiByteUnicodeRoundTrips() throws {
        for value in ["", "😀", "日本語のテキスト", "👩‍👩‍👧‍👦 family", "e\u{301} vs é", "\u{FFFF}\u{10FFFF}"] {
            #expect(try roundTrip(value) == value)
            #expect(try roundTrip(value).utf8.elementsEqual(value.utf8))
        }
    }

    @Test func oneMebibyteRoundTrips() throws {
        let value = String(repeating: "abcdefgh漢", count: 1 << 20 / 11)
        #expect(try roundTrip(value) == value)
    }

    @Test func nulByteIsInvalidValue() {
        let error = codingError { _ = try encoded("a\u{0}b") }
        guard case .invalidValue(let message) = error else {
            Issue.record("expected invalidValue, got \(String(describing: error))")
            return
        }
        #expect(message.contains("NUL byte"))
    }

    @Test func decodesEveryTextualType() throws {
        for type in [PostgresDataType.text, .varchar, .name, .bpchar, .unknown, .json] {
            #expect(try decoded(String.self, from: Array("hi ".utf8), type: type) == "hi ")
        }
        #expect(try decoded(String.self, from: [1] + Array("{}".utf8), type: .jsonb) == "{}")
        #expect(codingErrorKind { _ = try decoded(String.self, from: [2] + Array("{}".utf8), type: .jsonb) } == .malformed)
    }

    @Test func invalidUTF8IsMalformed() throws {
        #expect(codingErrorKind { _ = try decoded(String.self, from: [0x61, 0xFF, 0x62], type: .text) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(String.self, from: [0xED, 0xA0, 0x80], type: .text) } == .malformed)
        // Past the first eight-byte word of the ASCII check, and in its tail.
        let ascii = Array("0123456789abcdef0123".utf8)
        #expect(codingErrorKind { _ = try decoded(String.self, from: ascii + [0xFF], type: .text) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(String.self, from: Array(ascii[..<9]) + [0xC3] + ascii, type: .text) } == .malformed)
        #expect(try decoded(String.self, from: ascii, type: .text) == "0123456789abcdef0123")
        #expect(try decoded(String.self, from: ascii + [0xC3, 0xBC] + ascii, type: .text) == "0123456789abcdef0123ü0123456789abcdef0123")
    }

    @Test func nonTextColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded(String.self, from: hex("00 00 00 01"), type: .int4) } == .typeMismatch)
        #expect(codingError { _ = try decoded(String.self, from: [0x61], type: .bytea) } == .typeMismatch)
    }

    @Test func fieldSizeLimitIsOneGigabyte() {
        let limit = PostgresCodingLimits.maximumFieldSize
        #expect(limit == (1 << 30) - 1 - 4)
        #expect(codingErrorKind { try PostgresCodingLimits.checkFieldSize(limit, of: "a string") } == nil)
        #expect(codingErrorKind { try PostgresCodingLimits.checkFieldSize(limit + 1, of: "a string") } == .outOfRange)
        #expect(codingErrorKind { try PostgresCodingLimits.checkElementCount(Int(Int32.max)) } == nil)
        #expect(codingErrorKind { try PostgresCodingLimits.checkElementCount(Int(Int32.max) + 1) } == .outOfRange)
    }
}

@Suite("bytea codecs")
struct ByteaCodecTests {
    @Test func byteArrayIsByteaNotAnArray() throws {
        #expect([UInt8].postgresType == .bytea)
        #expect(try encoded([UInt8]([0, 1, 0xFF])) == [0, 1, 0xFF])
        #expect(try encoded([UInt8]()) == [])
    }

    @Test func dataIsBytea() throws {
        #expect(Data.postgresType == .bytea)
        #expect(try encoded(Data([0, 0xFE])) == [0, 0xFE])
    }

    @Test func emptyAndLargeValuesRoundTrip() throws {
        let big = pseudoRandomBytes(count: 1 << 20)
        #expect(try roundTrip([UInt8]()) == [])
        #expect(try roundTrip(Data()) == Data())
        #expect(try roundTrip(big) == big)
        #expect(try roundTrip(Data(big)) == Data(big))
        #expect(try decoded(Data.self, from: big, type: .bytea) == Data(big))
    }

    @Test func nonByteaColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded([UInt8].self, from: [0x61], type: .text) } == .typeMismatch)
        #expect(codingError { _ = try decoded([UInt8].self, from: hex("00000000 00000000 00000017"), type: .int4Array) } == .typeMismatch)
        #expect(codingError { _ = try decoded(Data.self, from: [0x61], type: .text) } == .typeMismatch)
    }
}

@Suite("UUID codec")
struct UUIDCodecTests {
    @Test func encodesSixteenBytesInOrder() throws {
        let uuid = UUID(uuidString: "12345678-9ABC-DEF0-1234-56789ABCDEF0")!
        // The server's uuid_send for this value.
        #expect(try encoded(uuid) == hex("123456789abcdef0123456789abcdef0"))
        #expect(try decoded(UUID.self, from: hex("123456789abcdef0123456789abcdef0"), type: .uuid) == uuid)
        #expect(UUID.postgresType == .uuid)
    }

    @Test func randomUUIDsRoundTrip() throws {
        for _ in 0..<100 {
            let uuid = UUID()
            #expect(try roundTrip(uuid) == uuid)
        }
    }

    @Test func wrongLengthIsMalformedAndWrongTypeIsMismatch() {
        #expect(codingErrorKind { _ = try decoded(UUID.self, from: Array(repeating: 0, count: 15), type: .uuid) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(UUID.self, from: Array(repeating: 0, count: 17), type: .uuid) } == .malformed)
        #expect(codingError { _ = try decoded(UUID.self, from: Array(repeating: 0, count: 16), type: .bytea) } == .typeMismatch)
    }
}

@Suite("JSON codec")
struct JSONCodecTests {
    struct Prefs: Codable, Sendable, Equatable {
        var theme: String
        var sizes: [Int]
        var note: String?
    }

    @Test func encodesAsJsonbVersionOne() throws {
        #expect(PostgresJSON<Prefs>.postgresType == .jsonb)
        let bytes = try encoded(PostgresJSON([1, 2]))
        #expect(bytes == [1] + Array("[1,2]".utf8))
    }

    @Test func codableValuesRoundTrip() throws {
        let prefs = Prefs(theme: "dark 🌙", sizes: [1, 2, 3], note: nil)
        #expect(try roundTrip(PostgresJSON(prefs)).value == prefs)
        #expect(try roundTrip(PostgresJSON("just a string")).value == "just a string")
    }

    @Test func decodesPlainJsonAndServerJsonb() throws {
        let json = Array(#"{"theme":"light","sizes":[],"note":"n"}"#.utf8)
        #expect(try decoded(PostgresJSON<Prefs>.self, from: json, type: .json).value == Prefs(theme: "light", sizes: [], note: "n"))
        // The server's jsonb_send('{"a": [1, "x"]}').
        let server = hex("017b2261223a205b312c202278225d7d")
        #expect(try decoded(PostgresJSON<[String: [Either]]>.self, from: server, type: .jsonb).value == ["a": [.int(1), .string("x")]])
    }

    enum Either: Codable, Sendable, Equatable {
        case int(Int), string(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .int(let i): try c.encode(i)
            case .string(let s): try c.encode(s)
            }
        }
    }

    @Test func badInputIsMalformed() {
        #expect(codingErrorKind { _ = try decoded(PostgresJSON<Prefs>.self, from: [2] + Array("{}".utf8), type: .jsonb) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(PostgresJSON<Prefs>.self, from: Array("{not json".utf8), type: .json) } == .malformed)
        #expect(codingErrorKind { _ = try decoded(PostgresJSON<Prefs>.self, from: Array(#"{"theme":1}"#.utf8), type: .json) } == .malformed)
        #expect(codingError { _ = try decoded(PostgresJSON<Prefs>.self, from: Array("{}".utf8), type: .text) } == .typeMismatch)
    }

    @Test func unencodableValueIsInvalidValue() {
        #expect(codingErrorKind { _ = try encoded(PostgresJSON(Double.nan)) } == .invalidValue)
    }
}

@Suite("Optional and binds")
struct OptionalCodecTests {
    @Test func nilBindsAsTypedNull() {
        var bindings = PostgresBindings()
        bindings.append(Int32?.none)
        bindings.append(Optional("x"))
        #expect(bindings.count == 2)
        #expect(bindings.typeOIDs == [.int4, .text])
        #expect(bindings.lengths == [-1, 1])
        #expect(bindings.deferredError == nil)
    }

    @Test func nullDecodesToNilOnlyForOptionals() throws {
        #expect(try Int32?._decodeNull(type: .int4) == nil)
        #expect(codingError { _ = try Int32._decodeNull(type: .int4) } == .unexpectedNull)
        #expect(try decoded(Int32?.self, from: hex("00 00 00 05"), type: .int4) == 5)
    }

    @Test func encodingNilDirectlyThrows() {
        #expect(codingErrorKind { _ = try encoded(String?.none) } == .invalidValue)
    }

    @Test func bindingErrorsAreDeferredAndKeepNumbering() {
        var bindings = PostgresBindings()
        bindings.append("ok")
        bindings.append("bad\u{0}")
        bindings.append(Int32(1))
        #expect(bindings.count == 3)
        #expect(bindings.deferredIndex == 2)
        guard case .invalidValue = bindings.deferredError else {
            Issue.record("expected a deferred invalidValue")
            return
        }
    }

    @Test func interpolatedValuesBindWithTheirTypes() {
        let bytes: [UInt8] = [1, 2]
        let ids: [Int32?] = [1, nil]
        let query: PostgresQuery = "SELECT \(bytes), \(ids), \(Date(timeIntervalSince1970: 0)), \(PostgresTimestamp(Date()))"
        #expect(query.sql == "SELECT $1, $2, $3, $4")
        #expect(query.binds.typeOIDs == [.bytea, .int4Array, .timestamptz, .timestamp])
    }
}
