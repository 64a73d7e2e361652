import LibPQ
import Testing

extension FaultSuite {
    /// (f) 15 s at concurrency 64 with three kinds of callers on the default pool: statements with a
    /// 10 ms timeout (many time out and are cancelled on the server), transactions, and plain statements.
    /// Not one call fails except with its own timeout: a cancel meant for a timed-out statement must not
    /// land on another caller's (57014 "canceling statement due to user request", an aborted transaction),
    /// and no prepared statement may go missing (26000).
    @Suite struct MixedLoad {
        static let concurrency = 64
        static let duration = Duration.seconds(15)
        static let ddl = """
            CREATE TABLE counters (caller int4 PRIMARY KEY, n int8 NOT NULL);
            INSERT INTO counters SELECT g, 0 FROM generate_series(0, 63) g;
            CREATE TABLE log (caller int4 NOT NULL, n int8 NOT NULL);
            """

        @Test func onlyTheCallersOwnTimeoutsFailUnderMixedLoad() async throws {
            let db = try FaultDatabase("mixed")
            try await db.withPool(ddl: Self.ddl) { pool in
                let timeline = Timeline()
                let stop = StopFlag()
                defer { stop.set() }  // also when the test throws: the load must never outlive it
                let load = Task {
                    await withTaskGroup(of: (Kind, [Call]).self) { group in
                        for caller in 0..<Self.concurrency {
                            let kind = Kind.allCases[caller % Kind.allCases.count]
                            group.addTask { (kind, await kind.run(caller, pool: pool, timeline: timeline, until: stop)) }
                        }
                        return await group.reduce(into: [Kind: [Call]]()) { $0[$1.0, default: []] += $1.1 }
                    }
                }
                try await Task.sleep(for: Self.duration)
                stop.set()
                let calls = await load.value
                let after = try await pool.query("SELECT 11::int8", timeout: .seconds(5))[0].decode(Int64.self, at: 0)

                var failures: [Call] = []
                var summary: [String] = []
                for kind in Kind.allCases {
                    let mine = calls[kind] ?? []
                    let own = mine.filter { kind.isOwnTimeoutOrCancel($0) }
                    let waiting = own.filter { ($0.error as? PostgresError)?.message.contains("waiting for a connection") == true }
                    let failed = mine.filter { !$0.succeeded && !kind.isOwnTimeoutOrCancel($0) }
                    failures += failed
                    summary.append(
                        "\(kind)_calls=\(mine.count) \(kind)_ok=\(mine.filter { $0.succeeded }.count) "
                            + "\(kind)_own_timeouts=\(own.count) \(kind)_of_which_waiting_for_connection=\(waiting.count) \(kind)_failures=\(FaultReport.tally(failed.errorTally))")
                }
                FaultReport.emit("f", [
                    "seconds": Self.duration.components.seconds, "concurrency": Self.concurrency,
                    "failures": failures.count, "failures_by_code": FaultReport.tally(failures.errorTally),
                    "per_kind": "[" + summary.joined(separator: " ") + "]",
                    "first_failure": "\"\(failures.first?.error.map { "\($0)" } ?? "none")\"",
                ])
                let timedOut = calls[.timeout10ms]?.filter { $0.code == .timeout }.count ?? 0
                #expect(timedOut > 0, "10 ms callers time out (their statements are cancelled)")
                #expect(Kind.allCases.allSatisfy { (calls[$0] ?? []).contains { $0.succeeded } })
                #expect(failures.count == 0, "no failures among calls that neither timed out nor were cancelled: \(failures.errorTally)")
                #expect(after == 11, "the pool serves after the run")
            }
        }

        enum Kind: CaseIterable, Hashable, CustomStringConvertible, Sendable {
            case timeout10ms, transaction, plain

            var description: String {
                switch self {
                case .timeout10ms: "timeout10ms"
                case .transaction: "transaction"
                case .plain: "plain"
                }
            }

            /// Whether a call failed with the library's own timeout or cancel code for its own call: only
            /// 10 ms callers set a timeout, and no caller's task is cancelled, so for the others every error
            /// is a failure.
            func isOwnTimeoutOrCancel(_ call: Call) -> Bool {
                self == .timeout10ms && call.code == .timeout
            }

            func run(_ caller: Int, pool: PostgresPool, timeline: Timeline, until stop: StopFlag) async -> [Call] {
                var calls: [Call] = []
                var step: Int64 = 0
                var counter: Int64? = nil  // this transaction caller's counter, when known
                while !stop.isSet {
                    step += 1
                    let call = await timeline.call(caller) {
                        switch self {
                        case .timeout10ms: try await Self.shortTimeout(caller, step, pool)
                        case .plain: try await Self.plain(caller, step, pool)
                        case .transaction: counter = try await Self.transaction(caller, step, counter, pool)
                        }
                    }
                    if !call.succeeded, self == .transaction { counter = nil }
                    calls.append(call)
                }
                return calls
            }

            /// One of 40 statement texts (so statements are prepared while cancels fly), sleeping 0 to 20 ms
            /// with a 10 ms timeout: the short ones usually make it, the long ones never.
            static func shortTimeout(_ caller: Int, _ step: Int64, _ pool: PostgresPool) async throws {
                let variant = Int(step % 40)
                let sleeps = [0, 0, 0.001, 0.002, 0.004, 0.015, 0.02]
                let sleep = sleeps[Int((step + Int64(caller)) % Int64(sleeps.count))]
                let rows = try await pool.query(
                    "SELECT \(step)::int8 AS \(unescaped: "v\(variant)"), pg_sleep(\(sleep))", timeout: .milliseconds(10))
                guard try rows[0].decode(Int64.self, at: 0) == step else { throw WrongAnswer() }
            }

            /// A read, a read-only read or a write, checked.
            static func plain(_ caller: Int, _ step: Int64, _ pool: PostgresPool) async throws {
                switch step % 3 {
                case 0:
                    let rows = try await pool.query("SELECT \(step) + \(Int64(caller))")
                    guard try rows[0].decode(Int64.self, at: 0) == step + Int64(caller) else { throw WrongAnswer() }
                case 1:
                    let rows = try await pool.query(PostgresQuery("SELECT \(step)::int8, \(Int32(caller))::int4").readOnly())
                    guard try rows[0].decode(Int64.self, at: 0) == step else { throw WrongAnswer() }
                default:
                    try await pool.query("INSERT INTO log (caller, n) VALUES (\(Int32(caller)), \(step))")
                }
            }

            /// Increments this caller's counter, logs it and reads it back in one transaction; returns the
            /// counter, checked against the last one this caller committed.
            static func transaction(_ caller: Int, _ step: Int64, _ counter: Int64?, _ pool: PostgresPool) async throws -> Int64 {
                try await pool.withTransaction { tx in
                    let n = try await tx.query(
                        "UPDATE counters SET n = n + 1 WHERE caller = \(Int32(caller)) RETURNING n")[0].decode(Int64.self, at: 0)
                    if let counter, n != counter + 1 { throw WrongAnswer() }
                    try await tx.query("INSERT INTO log (caller, n) VALUES (\(Int32(caller)), \(n))")
                    let read = try await tx.query("SELECT n FROM counters WHERE caller = \(Int32(caller))")[0].decode(Int64.self, at: 0)
                    guard read == n else { throw WrongAnswer() }
                    return n
                }
            }
        }
    }
}
