import LibPQ
import Testing

extension FaultSuite {
    /// (e) 1,000 `pg_sleep(10)` calls cancelled (their tasks cancelled): every caller returns within 1 s
    /// of the cancel, and afterwards no `pg_sleep` is left running on the server.
    @Suite struct CancelStorm {
        static let callers = 1000

        @Test func thousandCancelledSleepsReturnAtOnceAndLeaveNothingRunning() async throws {
            let db = try FaultDatabase("cancel")
            try await db.withPool { pool in
                let timeline = Timeline()
                let tasks = (0..<Self.callers).map { caller in
                    Task { await timeline.call(caller) { try await pool.query("SELECT pg_sleep(10)") } }
                }
                // Cancel once the pool's connections run the sleeps (or after 5 s, whatever runs then).
                let sleeping = try await FaultDatabase.settle(timeout: .seconds(5)) {
                    let open = pool.statistics.openConnections
                    let active = try await db.backends().filter { $0.state == "active" && $0.query.contains("pg_sleep") }
                    return open == pool.configuration.maximumConnections && active.count == open
                }
                let activeAtCancel = try await db.backends().filter { $0.state == "active" }.count
                let cancelAt = timeline.now
                for task in tasks { task.cancel() }
                var calls: [Call] = []
                for task in tasks { calls.append(await task.value) }
                let returnedIn = calls.map { $0.end - cancelAt }.max() ?? .zero

                let noneLeft = try await FaultDatabase.settle(timeout: .seconds(5), every: .milliseconds(10), times: 3) {
                    try await !db.backends().contains { $0.state == "active" && $0.query.contains("pg_sleep") }
                }
                let leftover = try await db.backends().filter { $0.state == "active" && $0.query.contains("pg_sleep") }.count
                let notCancelled = calls.filter { $0.code != .cancelled }
                let after = try await pool.query("SELECT 3::int8", timeout: .seconds(5))[0].decode(Int64.self, at: 0)
                FaultReport.emit("e", [
                    "callers": Self.callers, "backends_sleeping_at_cancel": activeAtCancel,
                    "max_return_after_cancel_ms": FaultReport.ms(returnedIn),
                    "outcomes": FaultReport.tally(calls.reduce(into: [:]) { $0[$1.error.map(FaultReport.label) ?? "success", default: 0] += 1 }),
                    "no_active_pg_sleep_after_ms": noneLeft.map(FaultReport.ms) ?? "never",
                    "active_pg_sleep_left": leftover,
                ])
                #expect(sleeping != nil, "every pool connection ran a sleep before the cancel")
                #expect(returnedIn <= .seconds(1), "every caller returned within 1 s of the cancel")
                #expect(notCancelled.count == 0, "every caller got cancelled: \(notCancelled.errorTally)")
                #expect(noneLeft != nil && leftover == 0, "no pg_sleep is left running")
                #expect(after == 3, "the pool serves again")
            }
        }
    }
}
