import ArgumentParser
import BenchSupport
import Foundation
import LibPQ
import Sessions
import Synchronization

/// Store-level benchmarks (issue 5): `SessionStore` over a `PostgresPool` on the data `scripts/bench`
/// loaded. Workloads: lookup on a cache miss (one round trip), lookup on a cache hit, create,
/// set-active-order; then cleanup of many expired sessions while lookups run, reporting the lookups' p99
/// with and without the cleanup running.
@main
struct StoreBench: AsyncParsableCommand {
    @Option(help: "Concurrent tasks.") var concurrency: Int = 16
    @Option(help: "Measured seconds per workload.") var seconds: Double = 2
    @Option(help: "Expired sessions to insert for the cleanup run.") var expired: Int = 1_000_000
    @Option(help: "Cleanup batch size (the store's default).") var batchSize: Int = 1000
    @Option(help: "Orders loaded (ids 1...n).") var orders: Int = 10_000
    @Option(help: "PostgresPool maximumConnections.") var poolConnections: Int = 4
    @Option(help: "Event loops the pool's connections and the tasks are spread over (default: one per core, at most one per connection).")
    var loops: Int?
    @Option(help: "PostgresPool packingDepth (read-only lookups on a connection before spreading).")
    var packingDepth: Int = 8
    @Option(help: "Only these workloads, comma-separated (lookup-miss, lookup-hit, create, set-active-order, cleanup); default all. scripts/bench --instructions counts lookup-miss alone.")
    var workloads: String?

    func runs(_ workload: String) -> Bool {
        workloads.map { $0.split(separator: ",").contains(Substring(workload)) } ?? true
    }

    func validate() throws {
        guard concurrency > 0, seconds > 0, poolConnections > 0, loops ?? 1 > 0, packingDepth > 0 else {
            throw ValidationError("concurrency, seconds, pool-connections, loops and packing-depth must be positive")
        }
    }

    /// The shared epoll loops the pool and the tasks use.
    var eventLoops: [PostgresEventLoop] {
        PostgresEventLoop.epollLoops(loops ?? PostgresEventLoop.loopCount(forConnections: poolConnections))
    }

    @Option(name: .customLong("database-url"), help: "Database URL (default: DATABASE_URL).") var databaseURL: String?

    func run() async throws {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        var poolConfiguration = PostgresPool.Configuration()
        poolConfiguration.maximumConnections = poolConnections
        poolConfiguration.packingDepth = packingDepth
        let eventLoops = self.eventLoops
        if eventLoops.count > 1 { poolConfiguration.eventLoops = eventLoops }
        let pool = PostgresPool(configuration: poolConfiguration, connection: try PostgresConfiguration(url))
        defer { Task { await pool.shutdown() } }
        var storeConfiguration = SessionStore.Configuration()
        storeConfiguration.invalidationChannel = ""  // one process: no cross-process publishing
        let uncached = SessionStore(database: pool, cache: NoSessionCache(), configuration: storeConfiguration)
        let cached = SessionStore(
            database: pool, cache: try InMemorySessionCache(capacity: 20_000), configuration: storeConfiguration)

        // Live tokens to look up (read once; a real server gets them from cookies).
        let tokens = try await pool.query(
            "SELECT token FROM session WHERE invalidated = false AND expires > now() ORDER BY id LIMIT \(Int64(50_000))"
        ).decodeColumn(String.self)
        guard !tokens.isEmpty else { throw ValidationError("no live sessions: run through scripts/bench") }
        let hot = Array(tokens.prefix(10_000))
        if runs("lookup-hit") { for token in hot { _ = try await cached.session(forToken: token) } }  // warm the cache

        print("# StoreBench \(Date()), concurrency \(concurrency), \(seconds)s per workload, \(tokens.count) tokens")
        var results: [(String, Cell)] = []
        if runs("lookup-miss") {
            results.append(("lookup-miss", try await drive(seconds) { rng in
                _ = try await uncached.session(forToken: tokens[Int.random(in: 0..<tokens.count, using: &rng)])
            }))
        }
        if runs("lookup-hit") {
            results.append(("lookup-hit", try await drive(seconds) { rng in
                _ = try await cached.session(forToken: hot[Int.random(in: 0..<hot.count, using: &rng)])
            }))
        }
        if runs("create") {
            results.append(("create", try await drive(seconds) { _ in
                _ = try await uncached.createAnonymousSession(activeChannel: 1)
            }))
        }
        let orders = self.orders
        if runs("set-active-order") {
            results.append(("set-active-order", try await drive(seconds) { rng in
                _ = try await uncached.setActiveOrder(
                    Int.random(in: 1...orders, using: &rng), forToken: tokens[Int.random(in: 0..<tokens.count, using: &rng)])
            }))
        }
        for (name, cell) in results { print(cell.line(workload: name, concurrency: concurrency)) }
        guard runs("cleanup") else { return }

        // Cleanup of `expired` expired sessions while lookups (cache misses) run.
        let insertStart = ContinuousClock.now
        try await pool.query(
            """
            INSERT INTO "session" ("token", "expires", "invalidated", "type")
            SELECT encode(sha256(('expired-' || i)::bytea), 'hex'), now() - interval '1 day', false, 'AnonymousSession'
            FROM generate_series(1, \(Int64(expired))) i
            """, timeout: nil)
        print("# inserted \(expired) expired sessions in \(insertStart.duration(to: .now))")
        let baseline = try await drive(seconds) { rng in
            _ = try await uncached.session(forToken: tokens[Int.random(in: 0..<tokens.count, using: &rng)])
        }
        let batchSize = self.batchSize
        let cleanupStart = ContinuousClock.now
        let finished = Flag()
        let cleanup = Task {
            defer { finished.set() }
            return try await uncached.cleanExpiredSessions(batchSize: batchSize)
        }
        let during = try await drive(until: { finished.isSet }) { rng in
            _ = try await uncached.session(forToken: tokens[Int.random(in: 0..<tokens.count, using: &rng)])
        }
        let removed = try await cleanup.value
        let cleanupTime = cleanupStart.duration(to: .now)
        print(baseline.line(workload: "lookup-miss-without-cleanup", concurrency: concurrency))
        print(during.line(workload: "lookup-miss-during-cleanup", concurrency: concurrency))
        print("# cleanup removed \(removed) sessions in \(cleanupTime) (batch \(batchSize)) while lookups ran")
        print(String(format: "RATIO workload=lookup-p99-during-cleanup concurrency=%d vs=without-cleanup value=%.2f",
                     concurrency, during.p99 / max(baseline.p99, 1)))
        if results.count > 1, results[0].0 == "lookup-miss", results[1].0 == "lookup-hit" {
            print(String(format: "RATIO workload=lookup-hit concurrency=%d vs=lookup-miss value=%.2f",
                         concurrency, results[1].1.opsPerSecond / max(results[0].1.opsPerSecond, 1)))
        }
    }

    struct Cell {
        var operations: Int
        var seconds: Double
        var p50: Double
        var p99: Double
        var cpuMicros: Double
        var opsPerSecond: Double { Double(operations) / seconds }

        func line(workload: String, concurrency: Int) -> String {
            String(format: "RESULT client=store workload=%@ concurrency=%d ops_per_s=%.1f p50_us=%.1f p99_us=%.1f cpu_us_per_op=%.2f ops=%d",
                   workload, concurrency, opsPerSecond, p50, p99, cpuMicros, operations)
        }
    }

    func drive(_ seconds: Double, _ op: @escaping @Sendable (inout SystemRandomNumberGenerator) async throws -> Void) async throws -> Cell {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        return try await drive(until: { ContinuousClock.now >= deadline }, op)
    }

    func drive(
        until done: @escaping @Sendable () -> Bool,
        _ op: @escaping @Sendable (inout SystemRandomNumberGenerator) async throws -> Void
    ) async throws -> Cell {
        let cpu0 = ProcessUsage.cpuSeconds
        let start = ContinuousClock.now
        let loops = eventLoops
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for task in 0..<concurrency {
                // Task i runs on loop i mod loops, where the pool gives it a connection of that loop.
                group.addTask(executorPreference: PostgresEventLoop.taskExecutor(forTask: task, spreadOver: loops)) {
                    var rng = SystemRandomNumberGenerator()
                    var out: [Double] = []
                    while !done() {
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
        return Cell(
            operations: latencies.count, seconds: secs,
            p50: latencies.isEmpty ? 0 : latencies[n / 2], p99: latencies.isEmpty ? 0 : latencies[min(n - 1, n * 99 / 100)],
            cpuMicros: (ProcessUsage.cpuSeconds - cpu0) * 1e6 / Double(n))
    }
}

/// A one-way flag shared between tasks.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
