import LibPQ
import Testing

extension FaultSuite {
    /// From issue 13: a read-only query re-run after its connection died retries until a healthy
    /// connection or its deadline, not just once. The pool's backends are killed again and again (each
    /// new one as soon as it shows up), so a re-run can die too.
    @Suite struct ReadOnlyRetry {
        static let queries = 8

        @Test func readOnlyQueriesSurviveRepeatedKillsUntilAHealthyConnection() async throws {
            let db = try FaultDatabase("roretry")
            try await db.withPool({ $0.maximumConnections = 4 }) { pool in
                let timeline = Timeline()
                let tasks = (0..<Self.queries).map { i in
                    Task {
                        await timeline.call(i) {
                            let rows = try await pool.query(
                                PostgresQuery("SELECT \(Int64(i)), pg_sleep(0.3)").readOnly(), timeout: .seconds(10))
                            guard try rows[0].decode(Int64.self, at: 0) == Int64(i) else { throw WrongAnswer() }
                        }
                    }
                }
                let running = try await FaultDatabase.settle(timeout: .seconds(5)) {
                    try await db.backends().contains { $0.state == "active" && $0.query.contains("pg_sleep(0.3)") }
                }
                let kills = try await Self.killRepeatedly(db, for: .milliseconds(600))
                var calls: [Call] = []
                for task in tasks { calls.append(await task.value) }
                FaultReport.emit("ro-retry", [
                    "queries": Self.queries, "kill_rounds": kills.rounds, "backends_killed": kills.backends,
                    "succeeded": calls.filter { $0.succeeded }.count, "errors": FaultReport.tally(calls.errorTally),
                    "max_return_ms": FaultReport.ms(calls.maxElapsed),
                ])
                #expect(running != nil, "the queries were running before the kills")
                #expect(kills.rounds >= 2, "backends were killed more than once")
                #expect(calls.allSatisfy { $0.succeeded }, "read-only queries are re-run until they succeed: \(calls.errorTally)")
            }
        }

        @Test func aReadOnlyQueryKeptFromEveryConnectionFailsAtItsDeadline() async throws {
            let db = try FaultDatabase("rodeadline")
            try await db.withPool({ $0.maximumConnections = 2 }) { pool in
                let timeline = Timeline()
                let deadline = Duration.seconds(1)
                let task = Task {
                    await timeline.call(0) {
                        try await pool.query(PostgresQuery("SELECT pg_sleep(0.3)").readOnly(), timeout: deadline)
                    }
                }
                let kills = try await Self.killRepeatedly(db, for: .milliseconds(1600))
                let call = await task.value
                FaultReport.emit("ro-deadline", [
                    "timeout_ms": FaultReport.ms(deadline), "kill_rounds": kills.rounds,
                    "backends_killed": kills.backends, "returned_after_ms": FaultReport.ms(call.elapsed),
                    "outcome": call.error.map(FaultReport.label) ?? "success",
                ])
                #expect(kills.backends >= 2, "the query's connections were killed more than once")
                #expect(call.code == .timeout, "the query gives up at its deadline: \(call.error.map(FaultReport.label) ?? "success")")
                #expect(call.elapsed <= deadline + .milliseconds(200), "and no later than 200 ms after it")
            }
        }

        /// Terminates the pool's backends every few milliseconds for `duration` (fault injection pacing).
        static func killRepeatedly(_ db: FaultDatabase, for duration: Duration) async throws -> (rounds: Int, backends: Int) {
            let clock = ContinuousClock()
            let end = clock.now + duration
            var rounds = 0
            var backends = 0
            while clock.now < end {
                let killed = try await db.terminateBackends()
                if !killed.isEmpty { rounds += 1 }
                backends += killed.count
                try await Task.sleep(for: .milliseconds(5))
            }
            return (rounds, backends)
        }
    }
}
