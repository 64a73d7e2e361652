import LibPQ
import Testing

extension FaultSuite {
    /// (b) Every backend of the pool killed under load: the same pool recovers, and only statements in
    /// flight at the kill fail (running at some moment between `pg_terminate_backend` and the backends'
    /// exit: a caller whose statement failed may send its next one to another dying backend before the
    /// pool has seen it die, so a caller can lose more than one).
    @Suite struct KillBackends {
        static let callers = 32

        @Test func poolRecoversAndOnlyStatementsInFlightFail() async throws {
            let db = try FaultDatabase("kill")
            try await db.withPool { pool in
                let timeline = Timeline()
                let stop = StopFlag()
                defer { stop.set() }  // also when the test throws: the load must never outlive it
                let load = Task { await Self.load(pool, timeline: timeline, until: stop) }
                try await Task.sleep(for: .seconds(1))

                let killAt = timeline.now
                let killed = try await db.terminateBackends()
                // Done when every killed process is gone (its socket closed), not merely out of pg_stat_activity.
                let gone = try await FaultDatabase.settle(timeout: .seconds(10), every: .milliseconds(2)) {
                    !killed.contains { ServerControl.exists($0) }
                }
                let killDone = timeline.now
                try await Task.sleep(for: .seconds(2))
                stop.set()
                let calls = await load.value
                let after = try await db.backends().map(\.pid)

                let failed = calls.filter { !$0.succeeded }
                // In flight at the kill: running at some moment between the kill and the backends' exit.
                let notInFlight = failed.filter { $0.start > killDone || $0.end < killAt }
                let perCaller = Dictionary(grouping: failed, by: \.caller).mapValues(\.count)
                let recovered = calls.filter { $0.succeeded && $0.start > killDone }
                let lastCalls = Dictionary(grouping: calls, by: \.caller).compactMapValues { $0.max { $0.start < $1.start } }
                FaultReport.emit("b", [
                    "callers": Self.callers, "calls": calls.count, "backends_killed": killed.count,
                    "kill_to_processes_gone_ms": gone.map(FaultReport.ms) ?? "never",
                    "errors": failed.count, "errors_by_code": FaultReport.tally(failed.errorTally),
                    "errors_not_in_flight_at_kill": notInFlight.count,
                    "max_errors_per_caller": perCaller.values.max() ?? 0,
                    "successes_after_kill": recovered.count, "backends_after": after.count,
                    "kill_at_ms": FaultReport.ms(killAt),
                ])
                #expect(killed.count > 0, "the pool had backends to kill")
                #expect(gone != nil, "the killed backends exited")
                #expect(failed.count > 0, "statements in flight at the kill fail (there were some: the load never pauses)")
                #expect(
                    failed.allSatisfy { [.connection, .connectionClosed].contains($0.code) },
                    "only connection errors: \(failed.errorTally)")
                #expect(notInFlight.count == 0, "only statements in flight between the kill and the backends' exit fail")
                #expect(recovered.count > 0, "the same pool serves again")
                #expect(lastCalls.values.allSatisfy { $0.succeeded }, "every caller's last statement succeeded")
                #expect(Set(after).isDisjoint(with: killed), "the pool reconnected with new backends")
            }
        }

        /// `callers` tasks running a statement that is not read-only (so never re-run) until `stop`.
        static func load(_ pool: PostgresPool, timeline: Timeline, until stop: StopFlag) async -> [Call] {
            await withTaskGroup(of: [Call].self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        var calls: [Call] = []
                        while !stop.isSet {
                            calls.append(
                                await timeline.call(caller) {
                                    let rows = try await pool.query("SELECT \(Int64(caller)), pg_sleep(0.005)")
                                    guard try rows[0].decode(Int64.self, at: 0) == Int64(caller) else {
                                        throw WrongAnswer()
                                    }
                                })
                        }
                        return calls
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        }
    }
}

/// A statement answered with another caller's row.
struct WrongAnswer: Error {}
