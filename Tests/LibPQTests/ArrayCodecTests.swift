import Foundation
import Testing

@testable import LibPQ

@Suite("array codecs")
struct ArrayCodecTests {
    // Bytes from the server's array_send.
    let int4OneTwo = hex("00000001 00000000 00000017 00000002 00000001 00000004 00000001 00000004 00000002")
    let int4Empty = hex("00000000 00000000 00000017")
    let int4OneNull = hex("00000001 00000001 00000017 00000002 00000001 00000004 00000001 ffffffff")
    let textWithNull = hex("00000001 00000001 00000019 00000003 00000001 00000001 61 ffffffff 00000002 c3bc")

    @Test func encodesLikeTheServer() throws {
        #expect([Int32].postgresType == .int4Array)
        #expect(try encoded([Int32(1), 2]) == int4OneTwo)
        #expect(try encoded([Int32]()) == int4Empty)
        #expect(try encoded([Int32(1), nil]) == int4OneNull)
        #expect([Int32?].postgresType == .int4Array)
    }

    @Test func decodesServerBytes() throws {
        #expect(try decoded([Int32].self, from: int4OneTwo, type: .int4Array) == [1, 2])
        #expect(try decoded([Int32].self, from: int4Empty, type: .int4Array) == [])
        #expect(try decoded([Int32?].self, from: int4OneNull, type: .int4Array) == [1, nil])
        #expect(try decoded([String?].self, from: textWithNull, type: .textArray) == ["a", nil, "ü"])
    }

    @Test func nullElementIntoNonOptionalIsUnexpectedNull() {
        #expect(codingError { _ = try decoded([String].self, from: textWithNull, type: .textArray) } == .unexpectedNull)
    }

    @Test func elementsFollowTheirOwnDecodingRules() throws {
        #expect(try decoded([Int64].self, from: int4OneTwo, type: .int4Array) == [1, 2])
        #expect(codingError { _ = try decoded([String].self, from: int4OneTwo, type: .int4Array) } == .typeMismatch)
    }

    @Test func emptyArrayOfIncompatibleTypeIsTypeMismatch() throws {
        #expect(codingError { _ = try decoded([String].self, from: int4Empty, type: .int4Array) } == .typeMismatch)
        #expect(try decoded([Int16].self, from: int4Empty, type: .int4Array) == [])
    }

    @Test func lowerBoundIsIgnored() throws {
        // array_send('[0:1]={5,6}'::int2[]).
        let bytes = hex("00000001 00000000 00000015 00000002 00000000 00000002 0005 00000002 0006")
        #expect(try decoded([Int16].self, from: bytes, type: .int2Array) == [5, 6])
    }

    @Test func multiDimensionalArraysAreMalformed() {
        // array_send('{{1,2},{3,4}}'::int4[]).
        let bytes = hex("""
            00000002 00000000 00000017 00000002 00000001 00000002 00000001
            00000004 00000001 00000004 00000002 00000004 00000003 00000004 00000004
            """)
        #expect(codingErrorKind { _ = try decoded([Int32].self, from: bytes, type: .int4Array) } == .malformed)
    }

    @Test func headerElementTypeMustMatchTheColumn() {
        #expect(codingErrorKind { _ = try decoded([Int32].self, from: int4OneTwo, type: .int8Array) } == .malformed)
    }

    @Test func scalarColumnIsTypeMismatch() {
        #expect(codingError { _ = try decoded([Int32].self, from: int4OneTwo, type: .int4) } == .typeMismatch)
        #expect(codingError { _ = try decoded([Int32].self, from: int4OneTwo, type: .bytea) } == .typeMismatch)
    }

    @Test func truncatedArraysAreMalformed() {
        #expect(codingErrorKind { _ = try decoded([Int32].self, from: Array(int4OneTwo.dropLast()), type: .int4Array) } == .malformed)
        // An element length that claims more bytes than its type has.
        let longElement = hex("00000001 00000000 00000017 00000001 00000001 00000005 0000000100")
        #expect(codingErrorKind { _ = try decoded([Int32].self, from: longElement, type: .int4Array) } == .malformed)
        // A huge element count with no bytes behind it must not allocate or crash.
        let hugeCount = hex("00000001 00000000 00000017 7fffffff 00000001")
        #expect(codingErrorKind { _ = try decoded([Int32].self, from: hugeCount, type: .int4Array) } == .malformed)
    }

    @Test func allNullArraySetsTheNullFlag() throws {
        let bytes = try encoded([Bool?](repeating: nil, count: 3))
        #expect(Array(bytes[4..<8]) == [0, 0, 0, 1])
        #expect(try decoded([Bool?].self, from: bytes, type: .boolArray) == [nil, nil, nil])
    }

    @Test func everyElementTypeRoundTrips() throws {
        #expect(try roundTrip([true, false]) == [true, false])
        #expect(try roundTrip([Int16.min, Int16.max]) == [Int16.min, Int16.max])
        #expect(try roundTrip([Int64.min, 0, Int64.max]) == [Int64.min, 0, Int64.max])
        #expect(try roundTrip([Int.min, Int.max]) == [Int.min, Int.max])
        #expect(try roundTrip([UInt32.max]) == [UInt32.max])
        #expect(try roundTrip([1.5, -Double.infinity]) == [1.5, -.infinity])
        #expect(try roundTrip([Float(2.5)]) == [2.5])
        #expect(try roundTrip(["", "a", "日本", "😀"]) == ["", "a", "日本", "😀"])
        #expect(try roundTrip(["x", nil, ""] as [String?]) == ["x", nil, ""])
        let uuids = [UUID(), UUID()]
        #expect(try roundTrip(uuids) == uuids)
        let dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_700_000_000.25)]
        #expect(try roundTrip(dates) == dates)
        #expect(try roundTrip(dates.map(PostgresTimestamp.init)) == dates.map(PostgresTimestamp.init))
        let days = [PostgresDate(daysSince2000: -1), PostgresDate(daysSince2000: 8825)]
        #expect(try roundTrip(days) == days)
        let decimals = [Decimal(string: "1.5")!, Decimal(string: "-1e-20")!, .nan]
        let decimalsBack = try roundTrip(decimals)
        #expect(decimalsBack.count == 3 && decimalsBack[0] == decimals[0] && decimalsBack[1] == decimals[1] && decimalsBack[2].isNaN)
        let blobs = [Data(), Data([0, 1, 2])]
        #expect(try roundTrip(blobs) == blobs)
        let docs = [PostgresJSON(["k": 1]), PostgresJSON(["k": 2])]
        #expect(try roundTrip(docs) == docs)
        #expect(try roundTrip([Int32?]()) == [])
    }

    @Test func arrayTypesAreTheElementsArrayTypes() {
        #expect([Bool].postgresType == .boolArray)
        #expect([Int16].postgresType == .int2Array)
        #expect([Int64].postgresType == .int8Array)
        #expect([Int].postgresType == .int8Array)
        #expect([Double].postgresType == .float8Array)
        #expect([Float].postgresType == .float4Array)
        #expect([String].postgresType == .textArray)
        #expect([UUID].postgresType == .uuidArray)
        #expect([Date].postgresType == .timestamptzArray)
        #expect([PostgresDate].postgresType == .dateArray)
        #expect([Decimal].postgresType == .numericArray)
        #expect([Data].postgresType == .byteaArray)
        #expect([PostgresJSON<[Int]>].postgresType == .jsonbArray)
        #expect([UInt8].postgresType == .bytea)
    }

    @Test func stringArraysDecodeFromOtherTextualArrays() throws {
        var bytes = try encoded(["a", "b"])
        bytes.replaceSubrange(8..<12, with: hex("00000413"))  // element type varchar
        #expect(try decoded([String].self, from: bytes, type: .varcharArray) == ["a", "b"])
    }
}
