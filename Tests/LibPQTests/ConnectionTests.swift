import Foundation
@testable import LibPQ
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ConnectionTests {
    @Test func selectsABoundValue() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT \(Int64(41)) + 1 AS answer")
        #expect(rows.count == 1)
        #expect(rows.columns == ["answer"])
        #expect(try rows[0].decode(Int64.self, column: "answer") == 42)
        await c.close()
    }

    @Test func decodesTuplesByPositionAndByName() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 7::int8 AS id, 'abc'::text AS token, NULL::text AS missing")
        let (id, token, missing) = try rows[0].decode((Int64, String, String?).self)
        #expect(id == 7 && token == "abc" && missing == nil)
        let (t2, i2) = try rows[0].decode((String, Int64).self, columns: "token", "id")
        #expect(t2 == "abc" && i2 == 7)
        await c.close()
    }

    /// The variadic tuple decoder, as a caller with a parameter pack reaches it (the fixed-arity overloads
    /// in PostgresRow+TupleDecoders.swift are preferred wherever the arity is known).
    private static func variadic<each T: PostgresDecodable>(_ row: PostgresRow, _ types: (repeat each T).Type) throws -> (repeat each T) {
        try row.decode(types)
    }

    @Test func fixedArityAndVariadicTupleDecodersAgree() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query(
            "SELECT 1::int4, 'a'::text, NULL::text, true, 2::int8, NULL::int4, 'c'::text, 3::int2, 'd'::text, NULL::bool, 4::int4, 'e'::text, 5::int8, 'f'::text, 6::int4, 'g'::text, 7::int4"
        )
        typealias Row13 = (Int32, String, String?, Bool, Int64, Int32?, String, Int16, String, Bool?, Int32, String, Int64)
        // A tuple decodes a row of its own width only: the first 13 of those columns.
        let rows13 = try await c.query(
            "SELECT 1::int4, 'a'::text, NULL::text, true, 2::int8, NULL::int4, 'c'::text, 3::int2, 'd'::text, NULL::bool, 4::int4, 'e'::text, 5::int8")
        let fixed = try rows13[0].decode(Row13.self)
        let viaPack = try Self.variadic(rows13[0], Row13.self)
        #expect("\(fixed)" == "\(viaPack)")  // tuples this wide have no ==
        #expect(fixed.0 == 1 && fixed.2 == nil && fixed.5 == nil && fixed.9 == nil && fixed.12 == 5)
        #expect(try "\(rows13.first(decoding: Row13.self)!)" == "\(fixed)")
        #expect(try rows13.decode(Row13.self).count == 1)
        // 17 columns: wider than the fixed-arity overloads, so the variadic decoder runs.
        let wide = try rows[0].decode(
            (Int32, String, String?, Bool, Int64, Int32?, String, Int16, String, Bool?, Int32, String, Int64, String, Int32, String, Int32).self)
        #expect(wide.13 == "f" && wide.16 == 7)
        // Both throw, and name the column, when the tuple is wider than the row.
        let short = try await c.query("SELECT 1::int4, 2::int4")
        #expect(throws: PostgresError.self) { try short[0].decode((Int32, Int32, Int32).self) }
        #expect(throws: PostgresError.self) { try Self.variadic(short[0], (Int32, Int32, Int32).self) }
        // Both report a type mismatch the same way.
        let fixedError = #expect(throws: PostgresError.self) { try short[0].decode((Int32, String).self) }
        let packError = #expect(throws: PostgresError.self) { try Self.variadic(short[0], (Int32, String).self) }
        #expect(fixedError?.description == packError?.description)
        await c.close()
    }

    @Test func decodesServerProducedValuesAndEdgeValues() async throws {
        let c = try await TestDatabase.connect()
        let row = try await c.query(
            "SELECT now(), gen_random_uuid(), '1.5'::numeric, 'NaN'::float8, '-Infinity'::float4, \(Int64.min), \(Int64.max)"
        )[0]
        let (now, uuid, decimal, nan, negInf, min, max) = try row.decode((Date, UUID, Decimal, Double, Float, Int64, Int64).self)
        #expect(abs(now.timeIntervalSinceNow) < 60)
        #expect(uuid.uuidString.dropFirst(14).first == "4")  // version 4
        #expect(decimal == Decimal(string: "1.5"))
        #expect(nan.isNaN && negInf == -.infinity && min == .min && max == .max)
        let big = String(repeating: "x", count: 1 << 20)
        let bytes = [UInt8](repeating: 7, count: 1 << 20)
        let echoed = try await c.query(
            "SELECT \(big), length(\(big)), \([UInt8]()), \(bytes), \(String?.none), \([Int64]()), \([Int64?]([1, nil]))"
        )[0].decode((String, Int32, [UInt8], [UInt8], String?, [Int64], [Int64?]).self)
        #expect(echoed.0 == big && echoed.1 == 1 << 20 && echoed.2.isEmpty && echoed.3 == bytes && echoed.4 == nil)
        #expect(echoed.5.isEmpty && echoed.6 == [1, nil])
        await c.close()
    }

    @Test func typeMismatchNamesColumnSwiftTypeAndServerType() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 'x'::text AS token")
        let error = try #require(throws: PostgresError.self) { try rows[0].decode(Int64.self, column: "token") }
        #expect(error.code == .decoding)
        #expect(error.column == "token")
        #expect(error.swiftType == "Int64")
        #expect(error.serverType == .text)
        #expect(error.description.contains("token") && error.description.contains("Int64") && error.description.contains("text"))
        await c.close()
    }

    @Test func syntaxErrorCarriesSQLStateAndPosition() async throws {
        let c = try await TestDatabase.connect()
        let error = try await #require(throws: PostgresError.self) { try await c.query("SELEC 1") }
        #expect(error.code == .server)
        #expect(error.sqlState == "42601")
        #expect(error.serverInfo?.position == 1)
        #expect(error.query == "SELEC 1")
        // The connection is still usable after the error.
        #expect(try await c.query("SELECT 1::int8")[0].decode(Int64.self, at: 0) == 1)
        await c.close()
    }

    @Test func uniqueViolationNamesTheConstraintButNotTheValue() async throws {
        try await TestDatabase.withSchema { c, _ in
            try await c.execute(script: "CREATE TABLE s (token text CONSTRAINT s_token_key UNIQUE)")
            let secret = "tok-\(UUID().uuidString)"
            try await c.query("INSERT INTO s VALUES (\(secret))")
            let error = try await #require(throws: PostgresError.self) { try await c.query("INSERT INTO s VALUES (\(secret))") }
            #expect(error.sqlState == "23505")
            #expect(error.serverInfo?.constraintName == "s_token_key")
            #expect(error.serverInfo?.tableName == "s")
            #expect(!error.description.contains(secret))
            #expect(!"\(error)".contains(secret))
        }
    }

    @Test func scriptRunsSeveralStatementsAndPipelineResumesAfterIt() async throws {
        try await TestDatabase.withSchema { c, _ in
            try await c.execute(script: "CREATE TABLE a (x int8); CREATE INDEX ON a (x); INSERT INTO a VALUES (1), (2);")
            let n = try await c.query("SELECT count(*) FROM a")[0].decode(Int64.self, at: 0)
            #expect(n == 2)
            let error = try await #require(throws: PostgresError.self) {
                try await c.execute(script: "INSERT INTO a VALUES (3); SELECT 1/0;")
            }
            #expect(error.sqlState == "22012")
            // The failing script was one implicit transaction: the insert was rolled back.
            #expect(try await c.query("SELECT count(*) FROM a")[0].decode(Int64.self, at: 0) == 2)
        }
    }

    @Test func failingQueryInPipelineDoesNotFailItsNeighbours() async throws {
        let c = try await TestDatabase.connect()
        try await withThrowingTaskGroup(of: (Int, Result<Int64, PostgresError>).self) { group in
            for i in 0..<50 {
                group.addTask {
                    do {
                        let q: PostgresQuery = i % 5 == 0 ? "SELECT 1 / (\(Int64(i)) - \(Int64(i)))" : "SELECT \(Int64(i)) * 2"
                        return (i, .success(try await c.query(q)[0].decode(Int64.self, at: 0)))
                    } catch let e as PostgresError {
                        return (i, .failure(e))
                    }
                }
            }
            for try await (i, result) in group {
                switch result {
                case .success(let v): #expect(i % 5 != 0 && v == Int64(i) * 2)
                case .failure(let e): #expect(i % 5 == 0 && e.sqlState == "22012", "query \(i): \(e)")
                }
            }
        }
        await c.close()
    }

    @Test func thousandQueriesLeaveNoOpenResults() async throws {
        let c = try await TestDatabase.connect()
        for i in 0..<1000 {
            let v = try await c.query("SELECT \(Int64(i))")[0].decode(Int64.self, at: 0)
            #expect(v == Int64(i))
        }
        // The loop thread drops its own reference to the last result just after resuming the caller.
        #expect(await TestDatabase.eventually { c.openResults == 0 })
        #expect(c.openResults == 0)
        let kept = try await c.query("SELECT 1::int8")
        #expect(c.openResults == 1)
        _ = kept.count
        await c.close()
    }

    @Test func nulByteIsRejectedBeforeSending() async throws {
        let c = try await TestDatabase.connect()
        let error = try await #require(throws: PostgresError.self) { try await c.query("SELECT \("a\u{0}b")::text") }
        #expect(error.code == .encoding)
        #expect(error.parameterIndex == 1)
        #expect(c.queriesInFlight == 0)
        await c.close()
    }

    @Test func tooManyParametersAreRejectedBeforeSending() async throws {
        let c = try await TestDatabase.connect()
        var q = PostgresQuery(unsafeSQL: "SELECT 1 WHERE 1 IN (")
        for i in 0..<65536 {
            if i > 0 { q.appendUnescaped(",") }
            q.appendBind(Int64(i))
        }
        q.appendUnescaped(")")
        let error = try await #require(throws: PostgresError.self) { try await c.query(q) }
        #expect(error.code == .tooManyParameters)
        await c.close()
    }

    @Test func queryTimeoutCancelsOnServerAndConnectionStaysUsable() async throws {
        let c = try await TestDatabase.connect()
        let start = ContinuousClock.now
        let error = try await #require(throws: PostgresError.self) {
            try await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(200))
        }
        #expect(error.code == .timeout)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try await c.query("SELECT 5::int8")[0].decode(Int64.self, at: 0) == 5)
        await c.close()
    }

    /// Waits until a statement containing `sql` is in the connection's pipeline (as the loop sees it: the
    /// `queriesInFlight` gauge can still show a statement that just completed).
    private static func waitUntilSent(_ sql: String, on c: PostgresConnection) async throws {
        let sent = await TestDatabase.eventually(every: .milliseconds(1)) {
            await c.core.onLoop { core in core.inflight.contains { $0.sql.contains(sql) } }
        }
        try #require(sent)
    }

    @Test func aStatementHitByACancelItsCallerNeverAskedForRunsAgainButAStatementTimeoutDoesNot() async throws {
        try await TestDatabase.withSchema { c, _ in
            try await c.execute(script: "CREATE SEQUENCE runs")
            func runs() async throws -> Int64 { try await c.query("SELECT last_value FROM runs")[0].decode(Int64.self, at: 0) }
            // A statement that cancels itself with no cancel of this connection's issued during its flight:
            // query_canceled is its own error, whatever this connection cancelled before. One run.
            _ = try? await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(100))
            let alone = try await #require(throws: PostgresError.self) {
                try await c.query("SELECT nextval('runs'), pg_cancel_backend(pg_backend_pid()), pg_sleep(5)")
            }
            #expect(alone.sqlState == "57014")
            #expect(try await runs() == 1)
            // The same statement pipelined behind one whose timeout passes: the connection issues a cancel
            // while it is in flight, so its query_canceled may be that cancel's and it runs again, after
            // the cancel fence lifted. The second run cancels itself with no cancel of ours in flight: the
            // caller gets the error. Two runs.
            // (Its timeout leaves the poller below time to see it in flight on a loaded machine.)
            async let sleeper: Void = { _ = try? await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(500)) }()
            try await Self.waitUntilSent("pg_sleep(30)", on: c)  // the sleeper is sent first
            let behind = try await #require(throws: PostgresError.self) {
                try await c.query("SELECT nextval('runs'), pg_cancel_backend(pg_backend_pid()), pg_sleep(5)")
            }
            await sleeper
            #expect(behind.sqlState == "57014")
            #expect(try await runs() == 3)
            // The server's statement_timeout has the same SQLSTATE but is not a cancel request: no rerun,
            // even with one of this connection's cancels issued during the statement's flight.
            try await c.query("SET statement_timeout = '1500ms'")
            async let sleeper2: Void = { _ = try? await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(500)) }()
            try await Self.waitUntilSent("pg_sleep(30)", on: c)
            let timedOut = try await #require(throws: PostgresError.self) {
                try await c.query("SELECT nextval('runs'), pg_sleep(5)")
            }
            await sleeper2
            #expect(timedOut.sqlState == "57014")
            #expect(timedOut.serverInfo?.message.contains("statement timeout") == true)
            // The statement is a follower of the cancelled sleeper, so the cancel may hit it too (the
            // postmaster signals the backend and its process group, and the second signal can land on the
            // next statement): then it runs once more, and its statement timeout still ends it. Never more.
            #expect(try await [4, 5].contains(runs()))
        }
        // The message test: only the English statement-timeout text rules a cancel out.
        #expect(ConnectionCore.mayBeStrayCancel("canceling statement due to user request"))
        #expect(!ConnectionCore.mayBeStrayCancel("canceling statement due to statement timeout"))
        #expect(ConnectionCore.mayBeStrayCancel("Anweisung wird abgebrochen wegen Benutzeranforderung"))
    }

    @Test func taskCancellationCancelsTheQuery() async throws {
        let c = try await TestDatabase.connect()
        let task = Task { try await c.query("SELECT pg_sleep(30)") }
        // Wait until the server runs it, then cancel.
        let watcher = try await TestDatabase.connect()
        #expect(try await TestDatabase.eventually {
            try await watcher.query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = \(Int64(c.backendPID)) AND query LIKE '%pg_sleep%' AND state = 'active'"
            )[0].decode(Int64.self, at: 0) == 1
        })
        task.cancel()
        let error = try await #require(throws: PostgresError.self) { try await task.value }
        #expect(error.code == .cancelled)
        #expect(try await c.query("SELECT 6::int8")[0].decode(Int64.self, at: 0) == 6)
        await c.close()
        await watcher.close()
    }

    @Test func copyIsRefusedWithoutHangingTheLoop() async throws {
        try await TestDatabase.withSchema { c, _ in
            try await c.execute(script: "CREATE TABLE t (a int)")
            let copyIn = try await #require(throws: PostgresError.self) { try await c.query("COPY t FROM STDIN") }
            #expect(copyIn.description.contains("COPY is not supported"))
            // COPY FROM STDIN is ended with an error; the connection goes on.
            #expect(try await c.query("SELECT 3::int8")[0].decode(Int64.self, at: 0) == 3)
        }
        let other = try await TestDatabase.connect()
        let copyOut = try await #require(throws: PostgresError.self) { try await other.query("COPY (SELECT 1) TO STDOUT") }
        #expect(copyOut.description.contains("COPY is not supported"))
        await other.close()
    }

    @Test func connectsWhenLibpqSwitchesSocketsWhileConnecting() async throws {
        // "localhost" may resolve to ::1 first; when the server listens on 127.0.0.1 only, libpq closes the
        // refused socket and opens another, often with the same descriptor number.
        let start = ContinuousClock.now
        let c = try await TestDatabase.connect { config in
            if config["host"] == "127.0.0.1" { config["host"] = "localhost" }
            config.connectTimeout = .seconds(20)
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(try await c.query("SELECT 1::int8")[0].decode(Int64.self, at: 0) == 1)
        await c.close()
    }

    @Test func queryAfterCloseFailsWithClosed() async throws {
        let c = try await TestDatabase.connect()
        await c.close()
        #expect(!c.isOpen)
        let error = try await #require(throws: PostgresError.self) { try await c.query("SELECT 1") }
        #expect(error.code == .closed)
    }

    @Test func terminatedBackendFailsQueriesWithConnectionError() async throws {
        let victim = try await TestDatabase.connect()
        let admin = try await TestDatabase.connect()
        try await admin.query("SELECT pg_terminate_backend(\(Int32(victim.backendPID)))")
        let error = try await #require(throws: PostgresError.self) {
            // The first query may still be sent before the termination is noticed.
            for _ in 0..<3 { try await victim.query("SELECT 1") }
        }
        #expect(error.code == .connection || error.code == .connectionClosed || error.code == .closed)
        #expect(!victim.isOpen)
        await admin.close()
    }

    @Test func droppedConnectionIsClosedOnTheServer() async throws {
        let admin = try await TestDatabase.connect()
        var pid: Int32 = 0
        do {
            let dropped = try await TestDatabase.connect()
            pid = dropped.backendPID
            _ = try await dropped.query("SELECT 1")
        }
        #expect(try await TestDatabase.eventually {
            try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)")[0].decode(Int64.self, at: 0) == 0
        })
        await admin.close()
    }
}
