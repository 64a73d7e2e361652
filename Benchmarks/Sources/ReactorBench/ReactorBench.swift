import ArgumentParser
import BenchSupport
import Foundation
import LibPQ

/// Compares the two event loops on a tight `SELECT 1` loop.
@main
struct ReactorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reactor-bench", abstract: "epoll reactor thread vs DispatchSource on a SELECT 1 loop.")

    @Option(help: "Seconds per measurement.") var seconds: Double = 3
    @Option(help: "Rounds (loops alternate each round, to spread noise).") var rounds: Int = 3
    @Option(name: .customLong("database-url"), help: "Database URL (default: DATABASE_URL, then libpq's PG* variables).")
    var databaseURL: String?

    func run() async throws {
        let base = try databaseURL.map { try PostgresConfiguration($0) } ?? PostgresConfiguration.fromEnvironment()
        var results: [String: [(concurrency: Int, ops: Double, cpu: Double)]] = [:]
        for round in 0..<rounds {
            for (name, loop, onLoop) in [("epoll", PostgresEventLoop.epoll, false), ("epoll+exec", .epoll, true), ("dispatch", .dispatch, false)] {
                for concurrency in [1, 16] {
                    var config = base
                    config.eventLoop = loop
                    let c = try await PostgresConnection.connect(configuration: config)
                    let executor = onLoop ? loop.taskExecutor : nil
                    _ = try await measure(c, concurrency: concurrency, duration: 0.3, executor: executor)  // warm-up
                    let r = try await measure(c, concurrency: concurrency, duration: seconds, executor: executor)
                    await c.close()
                    results[name, default: []].append((concurrency, r.ops, r.cpuMicros))
                    print(String(format: "round %d %-10@ concurrency %2d: %9.0f ops/s  %6.2f µs CPU/op", round + 1, name, concurrency, r.ops, r.cpuMicros))
                }
            }
        }
        print("\nmedian of \(rounds) rounds:")
        for concurrency in [1, 16] {
            func median(_ name: String, _ key: KeyPath<(concurrency: Int, ops: Double, cpu: Double), Double>) -> Double {
                let v = results[name, default: []].filter { $0.concurrency == concurrency }.map { $0[keyPath: key] }.sorted()
                return v.isEmpty ? 0 : v[v.count / 2]
            }
            let e = median("epoll", \.ops), x = median("epoll+exec", \.ops), d = median("dispatch", \.ops)
            print(String(format: "concurrency %2d: epoll %8.0f ops/s (%.1f µs CPU/op)  epoll+executor %8.0f ops/s (%.1f µs CPU/op)  dispatch %8.0f ops/s (%.1f µs CPU/op)",
                         concurrency, e, median("epoll", \.cpu), x, median("epoll+exec", \.cpu), d, median("dispatch", \.cpu)))
            print(String(format: "RATIO reactor concurrency=%d epoll/dispatch=%.2f epoll+executor/dispatch=%.2f", concurrency, d > 0 ? e / d : 0, d > 0 ? x / d : 0))
        }
    }

    private func measure(
        _ c: PostgresConnection, concurrency: Int, duration: Double, executor: (any TaskExecutor)?
    ) async throws -> (ops: Double, cpuMicros: Double) {
        let cpu0 = ProcessUsage.cpuSeconds
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(duration * 1000))
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask(executorPreference: executor) {
                    var n = 0
                    while ContinuousClock.now < deadline {
                        _ = try await c.query("SELECT 1", timeout: nil)
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(total) / secs, (ProcessUsage.cpuSeconds - cpu0) * 1e6 / Double(max(total, 1)))
    }
}
