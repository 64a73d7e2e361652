import Foundation
import LibPQ
import TestSupport
import Testing

/// Codecs against a real server: what we send is what PostgreSQL parses, and what it sends decodes.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct CodecServerTests {
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type, on connection: PostgresConnection)
        async throws -> T
    {
        try await connection.query(query)[0].decode(T.self, at: 0)
    }

    func withConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        let connection = try await TestDatabase.connect()
        do {
            try await body(connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    func text(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> String {
        try await value(query, as: String.self, on: connection)
    }

    @Test func serverReadsOurBytesAsIntended() async throws {
        try await withConnection { c async throws in
            #expect(try await text("SELECT \(Int16.min)::text", on: c) == "-32768")
            #expect(try await text("SELECT \(Int64.max)::text", on: c) == "9223372036854775807")
            #expect(try await text("SELECT \(true)::text", on: c) == "true")
            #expect(try await text("SELECT \(Double.nan)::text || \(-Double.infinity)::text", on: c) == "NaN-Infinity")
            #expect(try await text("SELECT \(Decimal(string: "-123.456")!)::text", on: c) == "-123.456")
            #expect(try await text("SELECT \(Decimal(string: "1e30")!)::text", on: c) == "1000000000000000000000000000000")
            #expect(try await text("SELECT \(Decimal(string: "1e-20")!)::text", on: c) == "0.00000000000000000001")
            #expect(try await text("SELECT \(Decimal.nan)::text", on: c) == "NaN")
            let uuid = UUID()
            #expect(try await text("SELECT \(uuid)::text", on: c) == uuid.uuidString.lowercased())
            #expect(try await text("SELECT encode(\([UInt8]([0, 1, 0xFF])), 'hex')", on: c) == "0001ff")
            #expect(try await text("SELECT encode(\(Data([0xAB])), 'hex')", on: c) == "ab")
            #expect(try await text("SELECT \([Int32(1), nil, 3])::text", on: c) == "{1,NULL,3}")
            #expect(try await text("SELECT \([String]())::text", on: c) == "{}")
            #expect(try await text("SELECT \(["a b", "日本"])::text", on: c) == #"{"a b",日本}"#)
            let instant = Date(timeIntervalSince1970: 1_714_998_896.789012)  // 2024-05-06 12:34:56.789012 UTC
            #expect(try await text("SELECT \(instant)::text", on: c) == "2024-05-06 12:34:56.789012+00")
            #expect(try await text("SELECT \(PostgresTimestamp(instant))::text", on: c) == "2024-05-06 12:34:56.789012")
            #expect(try await text("SELECT \(PostgresDate(year: 2024, month: 2, day: 29)!)::text", on: c) == "2024-02-29")
            #expect(try await text("SELECT \(PostgresJSON(["k": [1, 2]]))->>'k'", on: c) == "[1, 2]")
            #expect(try await text("SELECT \("😀 漢字")", on: c) == "😀 漢字")
            #expect(try await text("SELECT (\(Int32?.none)::text IS NULL AND \(Int32?.none) IS NULL)::text", on: c) == "true")
        }
    }

    @Test func serverValuesDecode() async throws {
        try await withConnection { c async throws in
            #expect(try await value("SELECT 1.50::numeric", as: Decimal.self, on: c) == Decimal(string: "1.5")!)
            #expect(try await value("SELECT 'NaN'::numeric", as: Decimal.self, on: c).isNaN)
            #expect(try await value("SELECT 32767::int2", as: Int64.self, on: c) == 32767)
            #expect(try await value("SELECT 'abc'::varchar(5)", as: String.self, on: c) == "abc")
            #expect(try await value("SELECT 'ab'::char(4)", as: String.self, on: c) == "ab  ")
            #expect(try await value("SELECT '{\"a\": 1}'::jsonb", as: PostgresJSON<[String: Int]>.self, on: c).value == ["a": 1])
            #expect(try await value("SELECT '{\"a\": 1}'::json", as: PostgresJSON<[String: Int]>.self, on: c).value == ["a": 1])
            #expect(try await value("SELECT '{1,NULL}'::int4[]", as: [Int32?].self, on: c) == [1, nil])
            #expect(try await value("SELECT '{}'::text[]", as: [String].self, on: c) == [])
            #expect(try await value("SELECT '{x,y}'::varchar[]", as: [String].self, on: c) == ["x", "y"])
            #expect(try await value("SELECT '\\x00ff'::bytea", as: [UInt8].self, on: c) == [0, 0xFF])
            #expect(try await value("SELECT '2024-02-29'::date", as: PostgresDate.self, on: c).description == "2024-02-29")
            #expect(
                try await value("SELECT '2000-01-01 00:00:01.5'::timestamp", as: Date.self, on: c)
                    == Date(timeIntervalSince1970: 946_684_801.5))
            #expect(
                try await value("SELECT '2000-01-01 02:00:00+02'::timestamptz", as: Date.self, on: c)
                    == Date(timeIntervalSince1970: 946_684_800))
        }
    }

    @Test func decodingProblemsBecomeDecodingErrors() async throws {
        let cases: [(PostgresQuery, @Sendable (PostgresRow) throws -> Void)] = [
            ("SELECT 'infinity'::timestamp", { _ = try $0.decode(Date.self, at: 0) }),
            ("SELECT 70000::int4", { _ = try $0.decode(Int16.self, at: 0) }),
            ("SELECT 'Infinity'::numeric", { _ = try $0.decode(Decimal.self, at: 0) }),
            ("SELECT '{{1},{2}}'::int4[]", { _ = try $0.decode([Int32].self, at: 0) }),
            ("SELECT NULL::int4", { _ = try $0.decode(Int32.self, at: 0) }),
            ("SELECT 1::int4", { _ = try $0.decode(String.self, at: 0) }),
        ]
        try await withConnection { c async throws in
            for (query, decode) in cases {
                let row = try await c.query(query)[0]
                let error = #expect(throws: PostgresError.self, "\(query.sql)") { try decode(row) }
                #expect(error?.code == .decoding, "\(query.sql)")
            }
        }
    }

    @Test func everyTypeEchoesThroughTheServer() async throws {
        try await withConnection { c async throws in
            func echo<T: PostgresCodable & Equatable>(_ v: T) async throws {
                let back = try await value("SELECT \(v)", as: T.self, on: c)
                #expect(back == v, "\(T.self)")
            }
            try await echo(Int16.min)
            try await echo(Int32.max)
            try await echo(Int64.min)
            try await echo(Int.max)
            try await echo(UInt32.max)
            try await echo(false)
            try await echo(Float(-1.25))
            try await echo(Double.greatestFiniteMagnitude)
            try await echo("")
            try await echo(String(repeating: "é漢😀", count: 100_000))
            try await echo(Decimal(string: "-12345678901234567890.123456789")!)
            try await echo(Decimal.greatestFiniteMagnitude)
            try await echo(UUID())
            try await echo(pseudoRandomBytes(count: 1 << 20))
            try await echo(Data(pseudoRandomBytes(count: 1000)))
            try await echo(Date(timeIntervalSince1970: 1_714_998_896.789012))
            try await echo(PostgresTimestamp(Date(timeIntervalSince1970: -1_000_000_000.000001)))
            try await echo(PostgresDate(daysSince2000: -2_451_545))
            try await echo(PostgresJSON(["nested": ["x": 1]]))
            try await echo([Int32?]([1, nil, 3]))
            try await echo([Int16]())
            try await echo(["a", "", "ü"])
            try await echo([UUID(), UUID()])
            try await echo([Date(timeIntervalSince1970: 0)])
            try await echo([true, false])
            try await echo([1.5, -.infinity])
            try await echo([Decimal(string: "1.5")!])
            try await echo([Data([1]), Data()])
            try await echo([PostgresDate(daysSince2000: 0)])
            try await echo([PostgresJSON(1)])
        }
    }

    @Test func datesInTimestampColumnsAreStoredAsUTCWallTime() async throws {
        try await TestDatabase.withSchema { c, _ async throws in
            try await c.execute(script: "CREATE TABLE t (id int PRIMARY KEY, expires timestamp without time zone)")
            let instant = Date(timeIntervalSince1970: 1_714_998_896.5)  // 2024-05-06 12:34:56.5 UTC
            try await c.query("INSERT INTO t VALUES (1, \(instant)), (2, \(PostgresTimestamp(instant)))")
            let rows = try await c.query("SELECT expires::text, expires FROM t ORDER BY id")
            for row in rows {
                let (text, date) = try row.decode((String, Date).self)
                #expect(text == "2024-05-06 12:34:56.5")
                #expect(date == instant)
            }
            let later = try await c.query("SELECT count(*)::int4 FROM t WHERE expires > \(instant.addingTimeInterval(-1))")
            #expect(try later[0].decode(Int32.self, at: 0) == 2)
        }
    }
}
