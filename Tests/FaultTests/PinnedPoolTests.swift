import LibPQ
import Testing

extension FaultSuite {
    /// (d) A pool of 2 connections, 500 callers holding transactions, a 1 s acquire timeout: those that
    /// get no connection fail with the typed timeout, and no connection is left idle in transaction
    /// (some callers are also cancelled mid-way, while waiting or inside their transaction).
    @Suite struct PinnedPool {
        static let callers = 500
        static let acquireTimeout = Duration.seconds(1)

        @Test func waitersGetTypedTimeoutsAndNothingStaysIdleInTransaction() async throws {
            let db = try FaultDatabase("pinned")
            try await db.withPool(ddl: "CREATE TABLE held (caller int4 NOT NULL)", {
                $0.maximumConnections = 2
                $0.acquireTimeout = Self.acquireTimeout
            }) { pool in
                let timeline = Timeline()
                let tasks = (0..<Self.callers).map { caller in
                    Task {
                        await timeline.call(caller) {
                            try await pool.withTransaction { tx in
                                try await tx.query("INSERT INTO held (caller) VALUES (\(Int32(caller)))")
                                try await tx.query("SELECT pg_sleep(0.05)")
                            }
                        }
                    }
                }
                // Every 10th caller is cancelled after 300 ms: most are waiting for a connection then, a few
                // are inside their transaction.
                try await Task.sleep(for: .milliseconds(300))
                for (caller, task) in tasks.enumerated() where caller % 10 == 0 { task.cancel() }
                var calls: [Call] = []
                for task in tasks { calls.append(await task.value) }
                let returned = timeline.now

                let idleInTransaction = try await FaultDatabase.settle(timeout: .seconds(5), every: .milliseconds(20), times: 3) {
                    try await db.backends().allSatisfy { !$0.state.hasPrefix("idle in transaction") }
                }
                let stuck = try await db.backends().filter { $0.state.hasPrefix("idle in transaction") }.count
                let committed = try await db.admin { c in try await c.query("SELECT count(*) FROM held")[0].decode(Int64.self, at: 0) }
                let after = try await pool.withTransaction { tx in try await tx.query("SELECT 7::int8")[0].decode(Int64.self, at: 0) }

                let cancelled = calls.filter { $0.caller % 10 == 0 }
                let plain = calls.filter { $0.caller % 10 != 0 }
                let untypedPlain = plain.filter { !$0.succeeded && ![.poolExhausted, .timeout].contains($0.code) }
                let untypedCancelled = cancelled.filter { !$0.succeeded && ![.poolExhausted, .timeout, .cancelled].contains($0.code) }
                FaultReport.emit("d", [
                    "callers": Self.callers, "pool_size": 2, "acquire_timeout_ms": FaultReport.ms(Self.acquireTimeout),
                    "succeeded": calls.filter { $0.succeeded }.count, "committed_rows": committed,
                    "errors_by_code": FaultReport.tally(plain.errorTally),
                    "cancelled_callers_by_code": FaultReport.tally(cancelled.errorTally),
                    "max_return_ms": FaultReport.ms(calls.maxElapsed), "all_returned_at_ms": FaultReport.ms(returned),
                    "idle_in_transaction_after": stuck,
                    "idle_in_transaction_cleared_ms": idleInTransaction.map(FaultReport.ms) ?? "never",
                ])
                #expect(plain.contains { $0.code == .poolExhausted || $0.code == .timeout }, "some callers timed out waiting")
                #expect(untypedPlain.count == 0, "callers fail only with the typed timeout: \(untypedPlain.errorTally)")
                #expect(untypedCancelled.count == 0, "cancelled callers fail with cancelled or a timeout: \(untypedCancelled.errorTally)")
                #expect(calls.maxElapsed <= Self.acquireTimeout + .seconds(1), "every caller returned soon after the acquire timeout")
                #expect(committed == Int64(calls.filter { $0.succeeded }.count), "exactly the transactions that succeeded committed")
                #expect(idleInTransaction != nil && stuck == 0, "no connection is left idle in transaction")
                #expect(after == 7, "the pool still serves transactions")
            }
        }
    }
}
