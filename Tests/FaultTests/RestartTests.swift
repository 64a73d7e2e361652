import LibPQ
import Synchronization
import Testing

extension FaultSuite {
    /// (c) `pg_ctl restart -m fast`, then `pg_ctl stop -m fast`, 5 s down, `pg_ctl start`, under an insert
    /// load on a durable server (fsync and synchronous_commit on): every insert acknowledged is there.
    @Suite struct Restart {
        static let writers = 16

        @Test func everyAcknowledgedInsertSurvivesARestartAndAStop() async throws {
            let db = try FaultDatabase("restart")
            try await db.withPool(ddl: "CREATE TABLE acked (id int8 PRIMARY KEY, writer int4 NOT NULL)") { pool in
                let timeline = Timeline()
                let stop = StopFlag()
                defer { stop.set() }  // also when the test throws: the load must never outlive it
                let progress = Progress()
                let load = Task { await Self.insert(pool, timeline: timeline, progress: progress, until: stop) }
                try await Task.sleep(for: .seconds(1))

                let restartAt = timeline.now
                try await db.control.pgCtl(["restart", "--mode=fast", "--wait", "--timeout=60"])
                let restarted = timeline.now
                let recovered1 = try await progress.waitForSuccess(after: restarted)

                let stopAt = timeline.now
                try await db.control.pgCtl(["stop", "--mode=fast", "--wait", "--timeout=60"])
                // While the server is down: a read-only query with a deadline gives up at that deadline.
                let downCall = await timeline.call(-1) {
                    try await pool.query(PostgresQuery("SELECT 1").readOnly(), timeout: .milliseconds(800))
                }
                try await Task.sleep(for: .seconds(5) - downCall.elapsed)
                try await db.control.pgCtl(["start", "--wait", "--timeout=60"])
                let started = timeline.now
                let recovered2 = try await progress.waitForSuccess(after: started)
                try await Task.sleep(for: .seconds(1))
                stop.set()
                let results = await load.value

                let acknowledged = Set(results.acknowledged)
                let present = Set(try await db.admin { c in try await c.query("SELECT id FROM acked").decodeColumn(Int64.self) })
                let missing = acknowledged.subtracting(present)
                let unacknowledgedPresent = present.subtracting(acknowledged)
                FaultReport.emit("c", [
                    "writers": Self.writers, "inserts": results.calls.count, "acknowledged": acknowledged.count,
                    "failed": results.calls.count - acknowledged.count,
                    "errors_by_code": FaultReport.tally(results.calls.errorTally),
                    "rows_present": present.count, "acknowledged_missing": missing.count,
                    "present_not_acknowledged": unacknowledgedPresent.count,
                    "restart_took_ms": FaultReport.ms(restarted - restartAt),
                    "first_success_after_restart_ms": recovered1.map(FaultReport.ms) ?? "never",
                    "down_ms": FaultReport.ms(started - stopAt),
                    "first_success_after_start_ms": recovered2.map(FaultReport.ms) ?? "never",
                    "readonly_while_down": downCall.error.map(FaultReport.label) ?? "success",
                    "readonly_while_down_returned_ms": FaultReport.ms(downCall.elapsed),
                ])
                #expect(acknowledged.count > 100, "the load inserted rows")
                #expect(missing.count == 0, "every acknowledged insert is present; missing: \(missing.sorted().prefix(10))")
                #expect(unacknowledgedPresent.count <= results.calls.count - acknowledged.count)
                #expect(recovered1 != nil && recovered2 != nil, "the same pool inserts again after each start")
                #expect(downCall.code == .timeout, "with the server down a read-only query fails at its deadline")
                #expect(downCall.elapsed <= .milliseconds(1000), "within 200 ms of it")
            }
        }

        /// How far the writers got: the start of the latest acknowledged insert.
        final class Progress: Sendable {
            private let lastAcknowledgedStart = Atomic<Int64>(-1)

            func acknowledged(startedAt start: Duration) {
                lastAcknowledgedStart.max(Self.nanoseconds(start), ordering: .relaxed)
            }

            /// Polls until an insert that started after `after` was acknowledged; returns how long after
            /// `after` the poll saw it, or nil within 30 s.
            func waitForSuccess(after: Duration) async throws -> Duration? {
                try await FaultDatabase.settle(timeout: .seconds(30), every: .milliseconds(10)) {
                    lastAcknowledgedStart.load(ordering: .relaxed) > Self.nanoseconds(after)
                }
            }

            static func nanoseconds(_ d: Duration) -> Int64 {
                d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
            }
        }

        struct Inserts: Sendable {
            var calls: [Call] = []
            var acknowledged: [Int64] = []
        }

        /// `writers` tasks inserting rows with unique keys (writer × 10^9 + sequence) until `stop`;
        /// an insert counts as acknowledged when the call returned without error.
        static func insert(
            _ pool: PostgresPool, timeline: Timeline, progress: Progress, until stop: StopFlag
        ) async -> Inserts {
            await withTaskGroup(of: Inserts.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var mine = Inserts()
                        var sequence: Int64 = 0
                        while !stop.isSet {
                            sequence += 1
                            let id = Int64(writer) * 1_000_000_000 + sequence
                            let call = await timeline.call(writer) {
                                try await pool.query("INSERT INTO acked (id, writer) VALUES (\(id), \(Int32(writer)))")
                            }
                            mine.calls.append(call)
                            if call.succeeded {
                                mine.acknowledged.append(id)
                                progress.acknowledged(startedAt: call.start)
                            } else {
                                // Do not spin while the server is down: the pool's acquire timeout paces the next
                                // call, but a refused connect fails at once.
                                try? await Task.sleep(for: .milliseconds(20))
                            }
                        }
                        return mine
                    }
                }
                return await group.reduce(into: Inserts()) {
                    $0.calls += $1.calls
                    $0.acknowledged += $1.acknowledged
                }
            }
        }
    }
}
