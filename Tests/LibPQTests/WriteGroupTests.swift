import Foundation
@testable import LibPQ
import TestSupport
import Testing

/// Single-statement writes submitted together share one implicit transaction and one commit
/// (`PostgresConfiguration.groupsWrites`), and must still behave as if each ran alone: each caller gets its
/// own result, a failing write fails alone, and the others commit exactly once.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct WriteGroupTests {
    private static func insert(_ c: PostgresConnection, _ id: Int64) async -> Result<Int64, PostgresError> {
        do {
            let rows = try await c.query("INSERT INTO t (id, xid) VALUES (\(id), txid_current()) RETURNING id * 10")
            return .success(try rows[0].decode(Int64.self, at: 0))
        } catch { return .failure(error as! PostgresError) }
    }

    @Test func writesSentTogetherShareOneTransactionAndEachCallerGetsItsOwnResult() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (id int8 PRIMARY KEY, xid int8 NOT NULL)")
            let other = try await TestDatabase.connect(schema: schema)
            let results = await inOneLoopTurn(24) { i in await Self.insert(other, Int64(i)) }
            for (i, result) in results { #expect(try result.get() == Int64(i) * 10) }
            let (rows, transactions) = try await c.query("SELECT count(*), count(DISTINCT xid) FROM t")[0].decode((Int64, Int64).self)
            #expect(rows == 24)
            #expect(transactions < 24, "\(transactions) transactions for 24 writes sent together")
            await other.close()
        }
    }

    @Test func aFailingWriteFailsAloneAndTheOthersCommitOnce() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (id int8 PRIMARY KEY, xid int8 NOT NULL); INSERT INTO t VALUES (3, 0), (11, 0)")
            let other = try await TestDatabase.connect(schema: schema)
            for round in 0..<3 {
                let base = Int64(round * 100)
                // Members 3 and 11 of the first round collide with the rows already there; in every round the
                // last member collides with the first (sent in the same group).
                let results = await inOneLoopTurn(16) { i in
                    await Self.insert(other, i == 15 ? base : (round == 0 ? Int64(i) : base + Int64(i)))
                }
                for (i, result) in results {
                    switch result {
                    case .success(let v):
                        #expect(i != 15 && !(round == 0 && (i == 3 || i == 11)), "round \(round) write \(i) succeeded")
                        #expect(v == (round == 0 ? Int64(i) : base + Int64(i)) * 10)
                    case .failure(let e):
                        #expect(e.sqlState == "23505", "round \(round) write \(i): \(e)")
                        #expect(i == 15 || (round == 0 && (i == 3 || i == 11)), "round \(round) write \(i) failed: \(e)")
                    }
                }
            }
            // Round 0 added 13 rows (0...14 without 3 and 11), rounds 1 and 2 added 15 each: no write twice.
            #expect(try await c.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0) == 2 + 13 + 15 + 15)
            #expect(try await c.query("SELECT count(*) FROM (SELECT id FROM t GROUP BY id HAVING count(*) > 1) d")[0].decode(Int64.self, at: 0) == 0)
            await other.close()
        }
    }

    @Test func withWriteGroupingOffEveryWriteCommitsAlone() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (id int8 PRIMARY KEY, xid int8 NOT NULL)")
            let other = try await TestDatabase.connect(schema: schema) { $0.groupsWrites = false }
            let results = await inOneLoopTurn(16) { i in await Self.insert(other, Int64(i)) }
            #expect(results.values.allSatisfy { (try? $0.get()) != nil })
            #expect(try await c.query("SELECT count(DISTINCT xid) FROM t")[0].decode(Int64.self, at: 0) == 16)
            await other.close()
        }
    }

    @Test func writesAfterABeginSentTogetherJoinItsTransactionNotAGroup() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (id int8 PRIMARY KEY, xid int8 NOT NULL)")
            let other = try await TestDatabase.connect(schema: schema)
            let executor = PostgresEventLoop.default.taskExecutor
            // BEGIN and writes submitted in one loop turn, in that order: the writes run in the transaction
            // BEGIN opened, and ROLLBACK takes them all back.
            try await withTaskExecutorPreference(executor) {
                async let begin: PostgresRows = other.query("BEGIN")
                async let first: PostgresRows = other.query("INSERT INTO t VALUES (1, txid_current())")
                async let second: PostgresRows = other.query("INSERT INTO t VALUES (2, txid_current())")
                _ = try await (begin, first, second)
            }
            try await other.query("ROLLBACK")
            #expect(try await c.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0) == 0)
            await other.close()
        }
    }

    /// Table `t` whose commits wait at a gate: a deferred trigger (it runs at commit time) takes the advisory
    /// lock `gate + id` of each row inserted, so a session holding that lock holds the commit. Returns `gate`.
    private static func gatedTable(_ c: PostgresConnection) async throws -> Int64 {
        let gate = Int64.random(in: 1..<(Int64.max / 2))
        try await c.execute(
            script: """
                CREATE TABLE t (id int8 PRIMARY KEY, xid int8 NOT NULL);
                CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN PERFORM pg_advisory_xact_lock(\(gate) + NEW.id); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER t_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION wait_at_commit();
                """)
        return gate
    }

    /// Waits until `other`'s backend waits for a lock (a commit at the gate) with `inFlight` queries in flight
    /// and none waiting in the client.
    private static func committing(_ other: PostgresConnection, inFlight: Int, watcher c: PostgresConnection) async -> Bool {
        await TestDatabase.eventually {
            let q: PostgresQuery = "SELECT count(*) FROM pg_stat_activity WHERE pid = \(other.backendPID) AND wait_event_type = 'Lock'"
            return (try? await c.query(q)[0].decode(Int64.self, at: 0)) == 1 && other.queriesInFlight == inFlight
                && other.queriesWaiting == 0
        }
    }

    @Test(.timeLimit(.minutes(1))) func writesHeldBehindAGroupGoOutWhileItsCommitIsRunning() async throws {
        try await TestDatabase.withSchema { c, schema in
            let gate = try await Self.gatedTable(c)
            let other = try await TestDatabase.connect(schema: schema)
            try await c.query("SELECT pg_advisory_lock(\(gate) + 0), pg_advisory_lock(\(gate) + 1)")
            let group = Task { await inOneLoopTurn(2) { i in await Self.insert(other, Int64(i)) } }
            // The group's statements are answered before its commit: only its sync point stays in flight.
            #expect(await Self.committing(other, inFlight: 1, watcher: c), "in flight: \(other.queriesInFlight)")
            // A write arriving now goes out at once and queues at the server behind the commit.
            let next = Task { await Self.insert(other, 100) }
            #expect(await TestDatabase.eventually { other.queriesInFlight == 2 }, "in flight: \(other.queriesInFlight)")
            try await c.query("SELECT pg_advisory_unlock(\(gate) + 0), pg_advisory_unlock(\(gate) + 1)")
            for (i, result) in await group.value { #expect(try result.get() == Int64(i) * 10) }
            #expect(try await next.value.get() == 1000)
            let xids = try await c.query("SELECT count(DISTINCT xid) FILTER (WHERE id < 100), count(DISTINCT xid) FROM t")[0]
                .decode((Int64, Int64).self)
            #expect(xids == (1, 2), "the group commits once, the later write in its own transaction")
            await other.close()
        }
    }

    @Test(.timeLimit(.minutes(1))) func aLoneWriteThatOthersWaitedBehindIsAnsweredBeforeItsCommit() async throws {
        try await TestDatabase.withSchema { c, schema in
            let gate = try await Self.gatedTable(c)
            let other = try await TestDatabase.connect(schema: schema)
            try await c.query("SELECT pg_advisory_lock(\(gate) + 1), pg_advisory_lock(\(gate) + 2)")
            // A lone write with no other write around: sent without a flush request, its statement is
            // answered with its commit, so a write arriving while it commits waits in the client.
            let first = Task { await Self.insert(other, 1) }
            #expect(await Self.committing(other, inFlight: 1, watcher: c))
            let second = Task { await Self.insert(other, 2) }
            #expect(await TestDatabase.eventually { other.queriesWaiting == 1 }, "waiting: \(other.queriesWaiting)")
            // The second goes out alone once the first commits; a write waited behind this connection's, so
            // it is answered before its commit, and a third write goes out during that commit.
            try await c.query("SELECT pg_advisory_unlock(\(gate) + 1)")
            #expect(try await first.value.get() == 10)
            #expect(await Self.committing(other, inFlight: 1, watcher: c))
            let third = Task { await Self.insert(other, 3) }
            #expect(await TestDatabase.eventually { other.queriesInFlight == 2 }, "in flight: \(other.queriesInFlight)")
            try await c.query("SELECT pg_advisory_unlock(\(gate) + 2)")
            #expect(try await second.value.get() == 20)
            #expect(try await third.value.get() == 30)
            #expect(try await c.query("SELECT count(DISTINCT xid) FROM t")[0].decode(Int64.self, at: 0) == 3)
            await other.close()
        }
    }

    @Test(.timeLimit(.minutes(1))) func aLoneWriteDoesNotWaitBehindAnotherCallersCommitWhileAConnectionIsIdle() async throws {
        try await TestDatabase.withPool({ $0.minimumConnections = 2; $0.maximumConnections = 2 }) { pool, applicationName in
            try await pool.execute(script: "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0); CREATE TABLE u (x int)")
            #expect(await TestDatabase.eventually { pool.statistics.openConnections == 2 })
            // A write that cannot finish: its row is locked by another session's transaction.
            let blocker = try await TestDatabase.connect()
            let schema = try await pool.query("SELECT current_schema()")[0].decode(String.self, at: 0)
            try await blocker.execute(script: "BEGIN; SELECT * FROM \"\(schema)\".t WHERE id = 1 FOR UPDATE")
            async let blocked: PostgresRows = pool.query("UPDATE t SET v = v + 1 WHERE id = 1")
            let waiting = await TestDatabase.eventually {
                let q: PostgresQuery = "SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName) AND wait_event_type = 'Lock'"
                return (try? await blocker.query(q)[0].decode(Int64.self, at: 0)) == 1
            }
            try #require(waiting)
            // Another caller's write takes the idle connection and commits at once, rather than waiting
            // on the blocked write's connection for its commit.
            try await pool.query("INSERT INTO u VALUES (1)")
            let inserted = PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(schema)\".u")
            #expect(try await blocker.query(inserted)[0].decode(Int64.self, at: 0) == 1)
            try await blocker.execute(script: "ROLLBACK")
            _ = try await blocked
            #expect(try await pool.query("SELECT v FROM t WHERE id = 1")[0].decode(Int32.self, at: 0) == 1)
            await blocker.close()
        }
    }

    @Test func isGroupableWriteReadsTheFirstKeyword() {
        #expect(PostgresQuery.isGroupableWrite("INSERT INTO t VALUES (1)"))
        #expect(PostgresQuery.isGroupableWrite("  update t SET x = 1"))
        #expect(PostgresQuery.isGroupableWrite("\nDelete FROM t"))
        #expect(!PostgresQuery.isGroupableWrite("SELECT 1"))
        #expect(!PostgresQuery.isGroupableWrite("INSERTED"))
        #expect(!PostgresQuery.isGroupableWrite("insert_x"))
        #expect(!PostgresQuery.isGroupableWrite("WITH d AS (DELETE FROM t) SELECT 1"))
        #expect(!PostgresQuery.isGroupableWrite("VACUUM t"))
        #expect(!PostgresQuery.isGroupableWrite("-- c\nINSERT INTO t VALUES (1)"))
        #expect(!PostgresQuery.isGroupableWrite("INSER"))
        #expect(!PostgresQuery.isGroupableWrite("ünsert"))
    }
}
