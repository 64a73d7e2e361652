import ArgumentParser
import EmbeddedPostgres
import Foundation
import LibPQ
import Sessions
import Synchronization

/// `sessionctl bench`: the session store's own speed on this machine (no peers; the comparison with
/// postgres-nio and pgbench is `scripts/bench`). Build in release for meaningful figures:
/// `swift run -c release sessionctl bench`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure SessionStore lookups (cache miss and hit) and creates on a scratch schema.")

    @Option(help: "Seconds per workload.") var seconds: Double = 3
    @Option(help: "Concurrent tasks.") var concurrency: Int = 16
    @Option(help: "Sessions loaded before measuring.") var sessions: Int = 20_000
    @Option(help: "Pool connections (default: the pool's, 8).")
    var connections: Int = PostgresPool.Configuration().maximumConnections
    @Option(help: "Event loops the pool's connections are spread over (default: the pool's, 1; with --loop-executor, one per core, at most one per connection).")
    var loops: Int?
    @Option(help: "Pool packingDepth: queries a connection takes before they spread (default: the pool's, 16).")
    var packingDepth: Int = PostgresPool.Configuration().packingDepth
    @Flag(help: "Run the tasks on the pool's loops (the docs' recipe for code that never blocks) instead of as plain tasks on Swift's global executor, as a request handler runs.")
    var loopExecutor = false
    @Option(help: "Also run the lookups through this URL (PgBouncer in front of DATABASE_URL's server), on the same data, and print the ratio. Needs DATABASE_URL.")
    var through: String?

    /// Bounds for the flags: beyond them a run would trap (`--seconds` becomes whole milliseconds) or only
    /// exhaust the machine.
    static let limits = (seconds: 86_400.0, concurrency: 10_000, sessions: 10_000_000, connections: 1_000, loops: 64, packingDepth: 1_000)

    func validate() throws {
        let l = Self.limits
        guard seconds.isFinite, seconds > 0, seconds <= l.seconds else {
            throw ValidationError("--seconds must be a number of seconds greater than 0 and at most \(Int(l.seconds))")
        }
        try Self.require(concurrency, in: 1...l.concurrency, "--concurrency")
        try Self.require(sessions, in: 1...l.sessions, "--sessions")
        try Self.require(connections, in: 1...l.connections, "--connections")
        if let loops { try Self.require(loops, in: 1...l.loops, "--loops") }
        try Self.require(packingDepth, in: 1...l.packingDepth, "--packing-depth")
    }

    private static func require(_ value: Int, in range: ClosedRange<Int>, _ flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    /// The epoll loops the pool uses: `--loops`, else the pool's default (one) for plain tasks, and one per
    /// core (at most one per connection) for tasks on the loops.
    var eventLoops: [PostgresEventLoop] {
        PostgresEventLoop.epollLoops(loops ?? (loopExecutor ? PostgresEventLoop.loopCount(forConnections: connections) : 1))
    }

    func run() async throws {
        if let through {
            try await compare(through: through)
            return
        }
        try await withScratchSchema(prefix: "sessionctl_bench_") { configuration, _ in
            var poolConfiguration = PostgresPool.Configuration()
            poolConfiguration.maximumConnections = connections
            poolConfiguration.packingDepth = packingDepth
            if eventLoops.count > 1 { poolConfiguration.eventLoops = eventLoops }
            let pool = PostgresPool(configuration: poolConfiguration, connection: configuration)
            do {
                try await measure(on: pool)
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
        }
    }

    /// Creates the session table on `pool` and fills it with `--sessions` rows; returns their tokens.
    func load(on pool: PostgresPool) async throws -> [String] {
        try await pool.execute(script: try VendureSchema.sql())
        try await pool.query(
            """
            INSERT INTO "session" ("token", "expires", "invalidated", "type")
            SELECT encode(sha256(('bench-' || i)::bytea), 'hex'), now() + interval '300 days', false, 'AnonymousSession'
            FROM generate_series(1, \(Int64(sessions))) i
            """)
        try await pool.execute(script: "ANALYZE")
        let tokens = try await pool.query("SELECT token FROM session").decodeColumn(String.self)
        guard !tokens.isEmpty else { throw EmbeddedPostgres.Failure(description: "no sessions were loaded") }
        return tokens
    }

    private func measure(on pool: PostgresPool) async throws {
        let tokens = try await load(on: pool)
        var storeConfiguration = SessionStore.Configuration()
        storeConfiguration.invalidationChannel = ""
        let uncached = SessionStore(database: pool, cache: NoSessionCache(), configuration: storeConfiguration)
        let cached = SessionStore(
            database: pool, cache: try InMemorySessionCache(capacity: tokens.count), configuration: storeConfiguration)
        for token in tokens { _ = try await cached.session(forToken: token) }
        say(
            "bench",
            "\(tokens.count) sessions, \(concurrency) \(tasksDescription), \(connections) connections, packing depth \(packingDepth), \(seconds) s each")
        let workloads: [(String, @Sendable (inout SystemRandomNumberGenerator) async throws -> Void)] = [
            ("lookup-miss", { rng in _ = try await uncached.session(forToken: tokens[Int.random(in: tokens.indices, using: &rng)]) }),
            ("lookup-hit", { rng in _ = try await cached.session(forToken: tokens[Int.random(in: tokens.indices, using: &rng)]) }),
            ("create", { _ in _ = try await uncached.createAnonymousSession() }),
        ]
        for (name, op) in workloads {
            let r = try await drive(op)
            say("bench", String(format: "%-12@ %9.0f ops/s  p50 %7.1f µs  p99 %7.1f µs  %6.2f µs CPU/op", name, r.opsPerSecond, r.p50, r.p99, r.cpu))
        }
    }

    var tasksDescription: String {
        loopExecutor ? "tasks on \(eventLoops.count) loop executor(s)" : "plain tasks, \(eventLoops.count) loop(s)"
    }

    struct Figures {
        var opsPerSecond: Double
        var p50: Double
        var p99: Double
        var cpu: Double
    }

    func drive(_ op: @escaping @Sendable (inout SystemRandomNumberGenerator) async throws -> Void) async throws -> Figures {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let cpu0 = cpuSeconds()
        let start = ContinuousClock.now
        let loops = eventLoops
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for task in 0..<concurrency {
                // With --loop-executor, task i runs on loop i mod loops, where the pool gives it a connection
                // of that loop; else on the global executor (no preference), as a request handler does.
                let executor = loopExecutor ? PostgresEventLoop.taskExecutor(forTask: task, spreadOver: loops) : nil
                group.addTask(executorPreference: executor) {
                    var rng = SystemRandomNumberGenerator()
                    var out: [Double] = []
                    while ContinuousClock.now < deadline {
                        let t0 = ContinuousClock.now
                        try await op(&rng)
                        out.append(t0.duration(to: .now) / .microseconds(1))  // not `components`: a 128-bit division
                    }
                    return out
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        let elapsed = start.duration(to: .now).components
        let secs = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let n = max(latencies.count, 1)
        return Figures(
            opsPerSecond: Double(latencies.count) / secs,
            p50: latencies.isEmpty ? 0 : latencies[n / 2],
            p99: latencies.isEmpty ? 0 : latencies[min(n - 1, n * 99 / 100)],
            cpu: (cpuSeconds() - cpu0) * 1e6 / Double(n))
    }

    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
