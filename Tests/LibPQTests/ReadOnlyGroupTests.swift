import Foundation
@testable import LibPQ
import TestSupport
import Testing

/// Read-only queries submitted together share a sync point (one implicit, read-only transaction) and must
/// still behave as if each ran alone.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ReadOnlyGroupTests {
    @Test func readOnlyQueriesSentTogetherShareOneReadOnlyTransaction() async throws {
        let c = try await TestDatabase.connect()
        let results = await inOneLoopTurn(32) { i -> Result<(Int64, String, String), PostgresError> in
            let q: PostgresQuery = "SELECT \(Int64(i)) * 2, now()::text, current_setting('transaction_read_only')"
            do {
                return .success(try await c.query(q.readOnly())[0].decode((Int64, String, String).self))
            } catch { return .failure(error as! PostgresError) }
        }
        var transactions: [String: Int] = [:]
        for (i, result) in results {
            let (doubled, started, readOnly) = try result.get()
            #expect(doubled == Int64(i) * 2)
            transactions[started, default: 0] += 1
            // A member of a group ran under the group's guard.
            if transactions[started, default: 0] > 1 { #expect(readOnly == "on") }
        }
        // Fewer transactions than queries: some queries shared one (the same `now()`).
        #expect(transactions.count < 32, "\(transactions.count) transactions for 32 queries")
        await c.close()
    }

    @Test func theGuardEndsWithItsGroup() async throws {
        // The guard sets transaction_read_only for the group's implicit transaction only: the connection's
        // next statements, alone or in the next group's transaction, start read-write again.
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (x int8)")
            let other = try await TestDatabase.connect(schema: schema)
            for round in 0..<3 {
                let settings = await inOneLoopTurn(8) { _ -> String? in
                    let q: PostgresQuery = "SELECT current_setting('transaction_read_only')"
                    return try? await other.query(q.readOnly())[0].decode(String.self, at: 0)
                }
                #expect(settings.values.contains("on"), "round \(round): no query ran in a group")
                #expect(try await other.query("SELECT current_setting('transaction_read_only')")[0].decode(String.self, at: 0) == "off")
                try await other.query("INSERT INTO t VALUES (\(Int64(round)))")
            }
            #expect(try await c.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0) == 3)
            await other.close()
        }
    }

    @Test func withGroupingOffEveryQueryRunsAlone() async throws {
        let c = try await TestDatabase.connect { $0.groupsReadOnlyQueries = false }
        let results = await inOneLoopTurn(16) { i -> String? in
            let q: PostgresQuery = "SELECT now()::text, current_setting('transaction_read_only')"
            guard let (started, readOnly) = try? await c.query(q.readOnly())[0].decode((String, String).self) else { return nil }
            return readOnly == "off" ? started : nil
        }
        let started = results.values.compactMap { $0 }
        #expect(started.count == 16)
        #expect(Set(started).count == 16)
        await c.close()
    }

    @Test func aFailingMemberFailsAloneAndTheSkippedOnesAreSentAgain() async throws {
        let c = try await TestDatabase.connect()
        for round in 0..<5 {
            // Distinct SQL text per query, so skipped members include first-time prepares.
            let results = await inOneLoopTurn(24) { i -> Result<Int64, PostgresError> in
                let sql = i % 6 == 3
                    ? "SELECT 1 / ($1::int8 - $1::int8) AS r\(round)_\(i)"
                    : "SELECT $1::int8 * 2 AS r\(round)_\(i)"
                let q = PostgresQuery(unsafeSQL: sql, binds: { var b = PostgresBindings(); b.append(Int64(i)); return b }())
                do {
                    return .success(try await c.query(q.readOnly())[0].decode(Int64.self, at: 0))
                } catch { return .failure(error as! PostgresError) }
            }
            #expect(results.count == 24)
            for (i, result) in results {
                switch result {
                case .success(let v): #expect(i % 6 != 3 && v == Int64(i) * 2, "round \(round) query \(i)")
                case .failure(let e): #expect(i % 6 == 3 && e.sqlState == "22012", "round \(round) query \(i): \(e)")
                }
            }
        }
        // Every statement is still usable from the cache afterwards.
        #expect(try await c.query("SELECT $1::int8 * 2 AS r0_1".readOnlyQuery(Int64(5)))[0].decode(Int64.self, at: 0) == 10)
        await c.close()
    }

    @Test func aStatementWhoseParseWasSkippedInAFailedGroupStillRunsForTheNextCaller() async throws {
        let c = try await TestDatabase.connect()
        for round in 0..<3 {
            let unique = "SELECT $1::int8 AS skipped_\(round)"
            // In order: a failing group member, a member that prepares `unique` (skipped by the server, so
            // never prepared), then a plain statement with the same text right after the group, which finds
            // the name in the cache and executes it.
            let results = await inOneLoopTurn(3) { i -> Result<Int64, PostgresError> in
                var binds = PostgresBindings()
                binds.append(Int64(i))
                let q: PostgresQuery = switch i {
                case 0: PostgresQuery(unsafeSQL: "SELECT 1 / ($1::int8 - $1::int8) AS failing_\(round)", binds: binds).readOnly()
                case 1: PostgresQuery(unsafeSQL: unique, binds: binds).readOnly()
                default: PostgresQuery(unsafeSQL: unique, binds: binds)
                }
                do {
                    return .success(try await c.query(q)[0].decode(Int64.self, at: 0))
                } catch { return .failure(error as! PostgresError) }
            }
            #expect(throws: PostgresError.self) { try results[0]!.get() }
            #expect(try results[1]!.get() == 1)
            #expect(try results[2]!.get() == 2, "round \(round)")
        }
        await c.close()
    }

    @Test func aWriteMarkedReadOnlyIsRefusedInAGroupAndWritesNothing() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (x int8)")
            let other = try await TestDatabase.connect(schema: schema)
            let results = await inOneLoopTurn(16) { i -> Result<Int, PostgresError> in
                let q: PostgresQuery = i == 8 ? "INSERT INTO t VALUES (\(Int64(i)))" : "SELECT \(Int64(i))"
                do {
                    return .success(try await other.query(q.readOnly()).count)
                } catch { return .failure(error as! PostgresError) }
            }
            var refused = 0
            for (i, result) in results {
                switch result {
                case .success(let n): #expect(i != 8 || n == 0)
                case .failure(let e):
                    #expect(i == 8 && e.sqlState == "25006", "query \(i): \(e)")
                    refused += 1
                }
            }
            let written = try await c.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0)
            // Either the insert shared a group (refused, nothing written) or it happened to run alone.
            #expect((refused == 1 && written == 0) || (refused == 0 && written == 1))
            await other.close()
        }
    }

    @Test func aBeginSentTogetherWithReadOnlyQueriesKeepsItsTransactionWritable() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE t (x int8)")
            let other = try await TestDatabase.connect(schema: schema)
            // BEGIN and read-only queries leave in the same loop turn, before BEGIN's answer is in.
            let results = await inOneLoopTurn(12) { i -> Bool in
                let q: PostgresQuery = i == 0 ? "BEGIN" : PostgresQuery(stringLiteral: "SELECT 1").readOnly()
                return (try? await other.query(q)) != nil
            }
            #expect(results.values.allSatisfy { $0 })
            try await other.query("INSERT INTO t VALUES (1)")
            try await other.query("COMMIT")
            #expect(try await c.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0) == 1)
            await other.close()
        }
    }

    @Test func readOnlyQueriesInsideATransactionDoNotMakeItReadOnly() async throws {
        try await TestDatabase.withPool { pool, _ in
            try await pool.query("CREATE TABLE t (x int8)")
            try await pool.withTransaction { tx in
                let executor = PostgresEventLoop.default.taskExecutor
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for i in 0..<16 {
                        group.addTask(executorPreference: executor) {
                            let q: PostgresQuery = "SELECT \(Int64(i))"
                            return try await tx.query(q.readOnly())[0].decode(Int64.self, at: 0)
                        }
                    }
                    var sum: Int64 = 0
                    for try await v in group { sum += v }
                    #expect(sum == 120)
                }
                try await tx.query("INSERT INTO t VALUES (1)")
            }
            #expect(try await pool.query("SELECT count(*) FROM t")[0].decode(Int64.self, at: 0) == 1)
        }
    }
}

extension String {
    /// This SQL with one bound value, marked read-only.
    fileprivate func readOnlyQuery(_ value: Int64) -> PostgresQuery {
        var binds = PostgresBindings()
        binds.append(value)
        return PostgresQuery(unsafeSQL: self, binds: binds).readOnly()
    }
}

@Suite struct TransactionStartDetectionTests {
    @Test(arguments: [
        ("BEGIN", true), ("begin isolation level serializable", true), ("  \n\tStart Transaction", true),
        ("/* a comment */ BEGIN", true), ("-- line\nBEGIN", true), ("(BEGIN)", true),
        ("SELECT 1", false), ("COMMIT", false), ("/* BEGIN */ SELECT 1", false), ("-- BEGIN", false),
        ("/* unterminated BEGIN", false), ("", false), ("BEG", false), ("STARTLE", false), ("begin_work()", false), ("Begin;", true),
        ("\u{0C}BEGIN", true), ("\u{0B}\tstart transaction", true), ("/* a /* nested */ comment */ BEGIN", true),
        ("/* a /* nested */ BEGIN */ SELECT 1", false),
    ])
    func recognisesStatementsThatOpenATransaction(_ sql: String, _ expected: Bool) {
        #expect(PostgresQuery.startsTransaction(sql) == expected)
    }
}
