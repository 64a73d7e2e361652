import Foundation
@testable import LibPQ
import TestSupport
import Testing

/// Statements caught by a broken connection: which ones may run again, and the pool running them again.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct RetryTests {
    @Test func retryableOnlyWhenNothingCanBeRepeated() {
        let write: PostgresQuery = "UPDATE t SET x = 1"
        let read = PostgresQuery(stringLiteral: "SELECT 1").readOnly()
        let broke = PostgresError(code: .connectionClosed, message: "server closed the connection")
        #expect(!PostgresPool.isRetryable(broke, query: write))  // it may have run
        #expect(PostgresPool.isRetryable(broke, query: read))
        #expect(PostgresPool.isRetryable(broke.notSent(), query: write))
        #expect(PostgresPool.isRetryable(PostgresError(code: .closed, message: "").notSent(), query: write))
        #expect(PostgresPool.isRetryable(PostgresError(code: .closed, message: ""), query: read))
        #expect(!PostgresPool.isRetryable(PostgresError(code: .closed, message: ""), query: write))
        #expect(!PostgresPool.isRetryable(PostgresError(code: .server, message: "").notSent(), query: read))
        #expect(!PostgresPool.isRetryable(PostgresError(code: .timeout, message: "").notSent(), query: read))
    }

    @Test func statementsQueuedBehindAFullPipelineAreReportedAsNeverSent() async throws {
        let c = try await TestDatabase.connect { $0.maximumPipelineDepth = 1 }
        let observer = try await TestDatabase.connect()
        let sent = Task { try await c.query("SELECT pg_sleep(30)") }
        #expect(await TestDatabase.eventually { c.queriesInFlight == 1 })
        let queued = (0..<3).map { i in Task { try await c.query("SELECT \(Int64(i))") } }
        #expect(await TestDatabase.eventually { await c.core.onLoop { $0.pending.count } == 3 })
        try await observer.query("SELECT pg_terminate_backend(\(c.backendPID))")
        let first = try await #require(throws: PostgresError.self) { try await sent.value }
        #expect(first.code == .connectionClosed || first.code == .connection)
        #expect(!first.statementNotSent)
        for task in queued {
            let e = try await #require(throws: PostgresError.self) { try await task.value }
            #expect(e.statementNotSent, "\(e)")
        }
        // Once closed, a new statement is refused without being sent.
        let late = try await #require(throws: PostgresError.self) { try await c.query("SELECT 1") }
        #expect(late.statementNotSent)
        await observer.close()
    }

    @Test func poolRunsQueuedAndReadOnlyStatementsAgainAfterItsConnectionIsTerminated() async throws {
        var configuration = PostgresPool.Configuration()
        configuration.maximumConnections = 1
        let pool = PostgresPool(configuration: configuration, connection: try TestDatabase.configuration())
        let observer = try await TestDatabase.connect()
        func pooledConnection() async throws -> PostgresConnection {
            _ = try await pool.query("SELECT 1")
            return try #require(pool.state.withLock { $0.connections.values.first })
        }
        /// Terminates the backend running the statement tagged `marker`.
        func terminate(_ marker: String) async throws {
            let n = try await observer.query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE \("%" + marker + "%") AND pid <> pg_backend_pid()"
            )[0].decode(Int64.self, at: 0)
            #expect(n == 1)
        }
        func active(_ marker: String) async throws -> Bool {
            try await TestDatabase.eventually {
                try await observer.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE \("%" + marker + "%")"
                )[0].decode(Int64.self, at: 0) == 1
            }
        }

        // 1. Statements waiting in the connection (behind a script, which runs alone) never reached the
        //    server: after the backend is terminated they run on a new connection.
        let first = try await pooledConnection()
        let script = Task { try await first.execute(script: "SELECT pg_sleep(30) /* retry-1 */") }
        #expect(try await active("retry-1 */"))
        let queued = (0..<4).map { i in
            Task {
                let q: PostgresQuery = "SELECT \(Int64(i))"
                return try await pool.query(i % 2 == 0 ? q : q.readOnly())[0].decode(Int64.self, at: 0)
            }
        }
        #expect(await TestDatabase.eventually { await first.core.onLoop { $0.pending.count } == 4 })
        try await terminate("retry-1 */")
        await #expect(throws: PostgresError.self) { try await script.value }
        for (i, task) in queued.enumerated() {
            #expect(try await task.value == Int64(i))
        }

        // 2. A read-only statement on the server when its backend dies runs again.
        let read = Task {
            try await pool.query(
                PostgresQuery(stringLiteral: "SELECT 42::int8 FROM pg_sleep(0.3) /* retry-2 */").readOnly()
            )[0].decode(Int64.self, at: 0)
        }
        #expect(try await active("retry-2 */"))
        try await terminate("retry-2 */")
        #expect(try await read.value == 42)

        // 3. A statement not marked read-only that was on the server is not run again: it may have run.
        let write = Task { try await pool.query("SELECT pg_sleep(30) /* retry-3 */") }
        #expect(try await active("retry-3 */"))
        try await terminate("retry-3 */")
        let error = try await #require(throws: PostgresError.self) { try await write.value }
        #expect(error.code == .connectionClosed || error.code == .connection)
        #expect(!error.statementNotSent)

        await observer.close()
        await pool.shutdown()
    }
}

/// A read-only statement whose connection dies keeps going until one holds: a server restart breaks every
/// connection of the pool in the same moment, so the next one tried may be just as dead.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct RetryUntilHealthyTests {
    @Test func aReadOnlyStatementSurvivesItsConnectionBeingKilledAgainAndAgain() async throws {
        var configuration = PostgresPool.Configuration()
        configuration.maximumConnections = 2
        let pool = PostgresPool(configuration: configuration, connection: try TestDatabase.configuration())
        let observer = try await TestDatabase.connect()
        let marker = "retry-again-\(UInt32.random(in: 0...UInt32.max))"
        let read = Task {
            try await pool.query(
                PostgresQuery(unsafeSQL: "SELECT 42::int8 FROM pg_sleep(1) /* \(marker) */").readOnly()
            )[0].decode(Int64.self, at: 0)
        }
        // Kill the backend running it three times, each time once it runs again.
        for round in 1...3 {
            #expect(
                await TestDatabase.eventually {
                    (try? await observer.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE \("%" + marker + " */%") AND pid <> pg_backend_pid()"
                    )[0].decode(Int64.self, at: 0)) == 1
                }, "round \(round)")
            // The statement may be between a kill and its next run: kill it once it runs again.
            let killed = await TestDatabase.eventually {
                (try? await observer.query(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = 'active' AND query LIKE \("%" + marker + " */%") AND pid <> pg_backend_pid()"
                )[0].decode(Int64.self, at: 0)) == 1
            }
            #expect(killed, "round \(round)")
        }
        #expect(try await read.value == 42)
        await observer.close()
        await pool.shutdown()
    }
}

/// Writes that reach a server taking only reads, and pools given several hosts.
@Suite struct ReadOnlyServerTests {
    @Test func aWriteRefusedAsReadOnlyRunsAgainButAReadOnlyStatementThatWritesDoesNot() {
        let refused = PostgresError(
            code: .server, message: "cannot execute INSERT in a read-only transaction",
            serverInfo: .init(sqlState: "25006", severity: "ERROR", message: "cannot execute INSERT in a read-only transaction"))
        #expect(PostgresPool.refusedAsReadOnly(refused, query: "INSERT INTO t VALUES (1)"))
        #expect(!PostgresPool.refusedAsReadOnly(refused, query: PostgresQuery("INSERT INTO t VALUES (1)").readOnly()))
        #expect(!PostgresPool.refusedAsReadOnly(PostgresError(code: .server, message: "x"), query: "INSERT INTO t VALUES (1)"))
    }

    @Test func aPoolGivenSeveralHostsConnectsToTheOneTakingWritesUnlessTold() throws {
        let several = PostgresPool(connection: try PostgresConfiguration("host=127.0.0.1,127.0.0.2 port=5432,5433 user=u"))
        #expect(several.connectionConfiguration["target_session_attrs"] == "read-write")
        let told = PostgresPool(
            connection: try PostgresConfiguration(
                "postgresql://u@127.0.0.1:5432,127.0.0.2:5433/db?target_session_attrs=prefer-standby"))
        #expect(told.connectionConfiguration["target_session_attrs"] == "prefer-standby")
        let one = PostgresPool(connection: try PostgresConfiguration("host=127.0.0.1 user=u"))
        #expect(one.connectionConfiguration["target_session_attrs"] == nil)
    }
}
