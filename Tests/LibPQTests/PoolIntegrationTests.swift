@_spi(PoolInternals) import LibPQ
import Synchronization
@_spi(PoolInternals) import TestSupport
import Testing

/// The pool against a real server. Each test has its own schema and application name.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PoolIntegrationTests {
    struct Boom: Error {}

    @Test func sixtyFourConcurrentCallersShareFourConnections() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 4; $0.maximumPipelineDepth = 16 }) { pool, _ in
            let results = try await withThrowingTaskGroup(of: (Int64, Int64, Int64).self) { group in
                for i in Int64(0)..<64 {
                    group.addTask {
                        let rows = try await pool.query(
                            "SELECT \(i) * 2 AS doubled, pg_backend_pid()::int8 AS pid, pg_sleep(0.01)::text IS NULL")
                        return (i, try rows[0].decode(Int64.self, at: 0), try rows[0].decode(Int64.self, at: 1))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 64)
            for (i, doubled, _) in results { #expect(doubled == i * 2) }
            let backends = Set(results.map(\.2))
            #expect(backends.count <= 4)
            #expect(pool.statistics.openConnections <= 4)
        }
    }

    @Test func failingQueryInAPipelineDoesNotFailItsNeighbours() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 1; $0.maximumPipelineDepth = 32 }) { pool, _ in
            let outcomes = await withTaskGroup(of: (Int64, Result<Int64, any Error>).self) { group in
                for i in Int64(0)..<30 {
                    group.addTask {
                        let divisor: Int64 = i % 5 == 0 ? 0 : 1
                        do {
                            let rows = try await pool.query("SELECT \(i) / \(divisor)")
                            return (i, .success(try rows[0].decode(Int64.self, at: 0)))
                        } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 30)
            for (i, outcome) in outcomes {
                switch outcome {
                case .success(let v): #expect(i % 5 != 0 && v == i)
                case .failure(let e):
                    #expect(i % 5 == 0)
                    #expect((e as? PostgresError)?.sqlState == "22012")
                }
            }
        }
    }

    @Test func acquireTimesOutWhenEveryConnectionIsPinnedByATransaction() async throws {
        try await TestDatabase.withPool({
            $0.minimumConnections = 2; $0.maximumConnections = 2; $0.acquireTimeout = .seconds(1)
        }) { pool, _ in
            // Both connections open before the holders start, so that no holder waits on a (slow, loaded) connect
            // and meets the short acquire timeout meant for the caller below.
            #expect(await TestDatabase.eventually { pool.statistics.openConnections == 2 })
            let latch = Latch()
            let holders = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            try await pool.withTransaction { tx in
                                try await tx.query("SELECT 1")
                                latch.arrive()
                                await latch.waitForRelease()
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(await TestDatabase.eventually { latch.arrived == 2 })
            let start = ContinuousClock.now
            await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { _ in }
            }
            do {
                try await pool.query("SELECT 1")
                Issue.record("a query entered a pinned connection")
            } catch let e as PostgresError {
                #expect(e.code == .poolExhausted)
            }
            #expect(ContinuousClock.now - start < .seconds(15))
            latch.release()
            try await holders.value
            #expect(try await pool.query("SELECT \(Int64(5))")[0].decode(Int64.self, at: 0) == 5)
        }
    }

    @Test func beginThroughASharedQueryIsRefusedBeforeAnythingIsSent() async throws {
        try await TestDatabase.withPool { pool, _ in
            for sql in ["BEGIN", "  start transaction isolation level serializable", "/* x */ begin;"] {
                let error = try await #require(throws: PostgresError.self) {
                    try await pool.query(PostgresQuery(stringLiteral: sql))
                }
                #expect(error.code == .unsupportedStatement)
                #expect(error.description.contains("withTransaction"))
            }
            // Statements that merely look alike run.
            #expect(try await pool.query("SELECT 'BEGIN'::text")[0].decode(String.self, at: 0) == "BEGIN")
            let one = try await pool.withTransaction { tx in
                try await tx.query("SELECT 1::int8")[0].decode(Int64.self, at: 0)
            }
            #expect(one == 1)
        }
    }

    @Test func waitersWithDifferentDeadlinesEachFailAtTheirOwn() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 1; $0.acquireTimeout = .seconds(30) }) { pool, _ in
            let latch = Latch()
            let holder = Task {
                try await pool.withTransaction { tx in
                    try await tx.query("SELECT 1")
                    latch.arrive()
                    await latch.waitForRelease()
                }
            }
            #expect(await TestDatabase.eventually { latch.arrived == 1 })
            // A waiter with the pool's long acquire timeout, then ones with shorter per-call timeouts: each
            // short one fails on its own deadline, not the long one's.
            let long = Task { try await pool.query("SELECT \(Int64(7))")[0].decode(Int64.self, at: 0) }
            let start = ContinuousClock.now
            for timeout in [Duration.milliseconds(300), .milliseconds(200)] {
                do {
                    try await pool.query("SELECT 1", timeout: timeout)
                    Issue.record("a query entered a pinned connection")
                } catch let e as PostgresError {
                    #expect(e.code == .timeout)
                }
            }
            #expect(ContinuousClock.now - start < .seconds(10))
            // The long waiter still waits, and is served once the connection is released.
            latch.release()
            try await holder.value
            #expect(try await long.value == 7)
        }
    }

    @Test func cancellingTheTaskCancelsTheStatementOnTheServer() async throws {
        try await TestDatabase.withPool { pool, app in
            let observer = try await TestDatabase.connect()
            defer { Task { await observer.close() } }
            let marker = "cancel-\(app)"
            let sql = "SELECT pg_sleep(30) /* \(marker) */"
            let task = Task { try await pool.query(PostgresQuery(unsafeSQL: sql)) }
            var pid: Int64?
            let started = try await TestDatabase.eventually {
                let rows = try await observer.query(
                    """
                    SELECT pid::int8 FROM pg_stat_activity
                    WHERE query = \(sql) AND state = 'active' AND pid <> pg_backend_pid()
                    """)
                pid = try rows.first.map { try $0.decode(Int64.self, at: 0) }
                return pid != nil
            }
            try #require(started)
            let start = ContinuousClock.now
            task.cancel()
            let result = await task.result
            #expect(ContinuousClock.now - start < .seconds(10))
            switch result {
            case .success: Issue.record("pg_sleep(30) was not cancelled")
            case .failure(let e): #expect((e as? PostgresError)?.code == .cancelled)
            }
            let idle = try await TestDatabase.eventually {
                let rows = try await observer.query(
                    "SELECT count(*)::int8 FROM pg_stat_activity WHERE pid = \(pid!) AND state = 'active'")
                return try rows[0].decode(Int64.self, at: 0) == 0
            }
            #expect(idle)
            // The connection is still good.
            #expect(try await pool.query("SELECT \(Int64(1))")[0].decode(Int64.self, at: 0) == 1)
        }
    }

    @Test func statementCacheHitsAfterWarmUpAndRecoversWhenAlterTableChangesTheResultType() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 1 }) { pool, _ in
            try await pool.execute(script: "CREATE TABLE items (a int8); INSERT INTO items VALUES (1)")
            for _ in 0..<3 { try await pool.query("SELECT * FROM items WHERE a = \(Int64(1))") }
            let (hits, _) = try await pool.withConnection { await $0.statementCacheStatistics }
            #expect(hits >= 2)
            let prepared = try await pool.query(
                "SELECT count(*)::int8 FROM pg_prepared_statements WHERE statement = 'SELECT * FROM items WHERE a = $1'")
            #expect(try prepared[0].decode(Int64.self, at: 0) == 1)
            try await pool.execute(script: "ALTER TABLE items ADD COLUMN b int8 DEFAULT 7")
            let rows = try await pool.query("SELECT * FROM items WHERE a = \(Int64(1))")
            #expect(rows.columns == ["a", "b"])
            #expect(try rows[0].decode(Int64.self, at: 1) == 7)
        }
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() async throws {
        try await TestDatabase.withPool { pool, _ in
            try await pool.execute(script: "CREATE TABLE t (v int8)")
            try await pool.withTransaction(isolation: .serializable) { tx in
                try await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
            }
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (\(Int64(2)))")
                    throw Boom()
                }
            }
            let rows = try await pool.query("SELECT v FROM t ORDER BY v")
            #expect(try rows.decodeColumn(Int64.self) == [1])
        }
    }

    @Test func transactionRollsBackWhenItsTaskIsCancelled() async throws {
        try await TestDatabase.withPool { pool, _ in
            try await pool.execute(script: "CREATE TABLE t (v int8)")
            let inserted = Latch()
            let task = Task {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
                    inserted.arrive()
                    try await tx.query("SELECT pg_sleep(30)")
                }
            }
            #expect(await TestDatabase.eventually { inserted.arrived == 1 })
            task.cancel()
            await #expect(throws: PostgresError.self) { try await task.value }
            #expect(try await pool.query("SELECT count(*)::int8 FROM t")[0].decode(Int64.self, at: 0) == 0)
        }
    }

    @Test func savepointRollsBackOnlyItsOwnWork() async throws {
        try await TestDatabase.withPool { pool, _ in
            try await pool.execute(script: "CREATE TABLE t (v int8)")
            try await pool.withTransaction { tx in
                try await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
                await #expect(throws: PostgresError.self) {
                    try await tx.withSavepoint { sp in
                        try await sp.query("INSERT INTO t VALUES (\(Int64(2)))")
                        try await sp.query("SELECT 1 / \(Int64(0))")  // fails the savepoint, not the transaction
                    }
                }
                try await tx.withTransaction { nested in
                    try await nested.query("INSERT INTO t VALUES (\(Int64(3)))")
                }
            }
            let rows = try await pool.query("SELECT v FROM t ORDER BY v")
            #expect(try rows.decodeColumn(Int64.self) == [1, 3])
        }
    }

    @Test func listenReceivesNotifyWithBoundPayloadAndSurvivesAReconnect() async throws {
        try await TestDatabase.withPool { pool, app in
            let channel = "Chan \"\(app)\""
            let payload = "it's $1 -- not SQL"
            let notifications = try await pool.listen(channel: channel)
            var iterator = notifications.makeAsyncIterator()
            try await pool.notify(channel: channel, payload: payload)
            let first = await iterator.next()
            #expect(first?.channel == channel)
            #expect(first?.payload == payload)
            // Kill the LISTEN connection; the pool reconnects and listens again.
            let observer = try await TestDatabase.connect()
            defer { Task { await observer.close() } }
            try await observer.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = \(app) AND query LIKE 'LISTEN%'
                """)
            let received = Mutex<String?>(nil)
            let reader = Task {
                let next = await iterator.next()
                received.withLock { $0 = next?.payload }
            }
            let delivered = try await TestDatabase.eventually {
                try await pool.notify(channel: channel, payload: "again")
                return received.withLock { $0 } == "again"
            }
            #expect(delivered)
            reader.cancel()
        }
    }

    @Test func poolRecoversAfterEveryConnectionIsTerminated() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 3; $0.maximumPipelineDepth = 2 }) { pool, app in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await pool.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            #expect(pool.statistics.openConnections > 0)
            let observer = try await TestDatabase.connect()
            defer { Task { await observer.close() } }
            let killed = try await observer.query(
                """
                SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity
                WHERE application_name = \(app)
                """)
            #expect(try killed[0].decode(Int64.self, at: 0) > 0)
            #expect(await TestDatabase.eventually { pool.statistics.openConnections == 0 })
            let sum = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in Int64(0)..<10 {
                    group.addTask { try await pool.query("SELECT \(i)")[0].decode(Int64.self, at: 0) }
                }
                return try await group.reduce(0, +)
            }
            #expect(sum == 45)
        }
    }

    @Test func gracefulShutdownLetsInFlightWorkFinishAndRefusesNewWork() async throws {
        let pool = PostgresPool(connection: try TestDatabase.configuration())
        let runner = Task { try await pool.run() }
        let inflight = Task { try await pool.query("SELECT pg_sleep(0.3)") }
        #expect(await TestDatabase.eventually { pool.statistics.connectionsInUse == 1 })
        runner.cancel()
        try await runner.value  // returns once the in-flight query finished and connections closed
        _ = try await inflight.value
        #expect(pool.statistics.openConnections == 0)
        do {
            try await pool.query("SELECT 1")
            Issue.record("query after shutdown succeeded")
        } catch let e as PostgresError {
            #expect(e.code == .poolShutdown)
        }
    }
}

/// Pool behaviour that needs no server.
@Suite struct PoolWithoutServerTests {
    @Test func unreachableServerFailsRequestsWithinTheAcquireTimeout() async throws {
        var configuration = PostgresPool.Configuration()
        // Generous for a loaded CI machine; the point is that the request fails instead of hanging.
        configuration.acquireTimeout = .seconds(2)
        configuration.reconnectBackoff.initial = .milliseconds(20)
        let factory = FailingConnectionFactory()
        let pool = PostgresPool(
            configuration: configuration, connection: PostgresConfiguration(), label: "unreachable",
            logger: .init(label: "test"),
            dependencies: PoolDependencies(clock: PoolDependencies.live.clock, factory: factory, jitter: { 0.5 }))
        let runner = Task { try await pool.run() }
        let start = ContinuousClock.now
        do {
            try await pool.query("SELECT 1")
            Issue.record("query succeeded without a server")
        } catch let e as PostgresError {
            #expect(e.code == .poolExhausted)
            #expect(e.message.contains("connection refused (fake)"))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(factory.attempts >= 2)  // retried with backoff while waiting
        runner.cancel()
        try await runner.value
    }

    @Test func maintenanceRetriesAfterTheBackoffOnTheInjectedClockAndDoesNotSpin() async throws {
        var configuration = PostgresPool.Configuration()
        configuration.minimumConnections = 1
        configuration.reconnectBackoff.initial = .milliseconds(100)
        let clock = FakePoolClock()
        let factory = FailingConnectionFactory()
        let pool = PostgresPool(
            configuration: configuration, connection: PostgresConfiguration(), label: "fake-clock",
            logger: .init(label: "test"),
            dependencies: PoolDependencies(clock: clock, factory: factory, jitter: { 0 }))
        let runner = Task { try await pool.run() }
        // run() opens the minimum; the attempt fails; the next one waits 100 ms of pool time.
        #expect(await TestDatabase.eventually { factory.attempts == 1 && clock.pendingSleepers == 1 })
        let sleeps = clock.sleepCalls
        clock.advance(by: .milliseconds(99))
        #expect(factory.attempts == 1)
        clock.advance(by: .milliseconds(1))
        #expect(await TestDatabase.eventually { factory.attempts == 2 })
        // Second failure: 200 ms. The loop sleeps on the clock instead of spinning.
        #expect(await TestDatabase.eventually { clock.pendingSleepers == 1 })
        #expect(clock.sleepCalls - sleeps <= 3)
        clock.advance(by: .milliseconds(200))
        #expect(await TestDatabase.eventually { factory.attempts == 3 })
        runner.cancel()
        try await runner.value
    }

    @Test func unreachableServerFailsRequestsEvenWithoutRun() async throws {
        var configuration = PostgresPool.Configuration()
        configuration.acquireTimeout = .milliseconds(200)
        let pool = PostgresPool(
            configuration: configuration, connection: try PostgresConfiguration("host=127.0.0.1 port=1"))
        let start = ContinuousClock.now
        await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(ContinuousClock.now - start < .seconds(10))
        await pool.shutdown()
    }
}

/// Lets tasks signal arrival and wait for a release, without sleeping.
final class Latch: Sendable {
    private struct State {
        var arrived = 0
        var released = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var arrived: Int { state.withLock { $0.arrived } }
    func arrive() { state.withLock { $0.arrived += 1 } }

    func waitForRelease() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let go = state.withLock { s -> Bool in
                if s.released { return true }
                s.waiters.append(c)
                return false
            }
            if go { c.resume() }
        }
    }

    func release() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.released = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}
