import BenchSupport
import Foundation

/// What one cell (client × workload × concurrency) measured.
struct CellResult {
    var operations: Int
    var seconds: Double
    var p50Micros: Double
    var p99Micros: Double
    var cpuMicrosPerOperation: Double
    var peakRSSKilobytes: Int

    var operationsPerSecond: Double { Double(operations) / seconds }
}

/// Runs `workload` from `concurrency` tasks: a warm-up (connections opened, statements prepared, caches
/// warm), then the measured phase, with per-operation latency and the process's CPU time around it.
func measure(
    _ client: any BenchClient, workload: Workload, concurrency: Int, data: DataSet, warmup: Double, seconds: Double
) async throws -> CellResult {
    _ = try await drive(client, workload: workload, concurrency: concurrency, data: data, seconds: warmup, seed: 1)
    let cpu0 = ProcessUsage.now()
    let start = ContinuousClock.now
    let latencies = try await drive(
        client, workload: workload, concurrency: concurrency, data: data, seconds: seconds, seed: 1000)
    let elapsed = (ContinuousClock.now - start).seconds
    let cpu1 = ProcessUsage.now()
    var all = latencies.flatMap { $0 }
    all.sort()
    func percentile(_ p: Double) -> Double {
        guard !all.isEmpty else { return 0 }
        return Double(all[min(all.count - 1, Int(Double(all.count) * p))]) / 1000
    }
    return CellResult(
        operations: all.count, seconds: elapsed, p50Micros: percentile(0.50), p99Micros: percentile(0.99),
        cpuMicrosPerOperation: (cpu1.cpuSeconds - cpu0.cpuSeconds) * 1e6 / Double(max(all.count, 1)),
        peakRSSKilobytes: cpu1.maxRSSKilobytes)
}

/// `concurrency` tasks loop until the deadline; each returns its operations' latencies in nanoseconds.
private func drive(
    _ client: any BenchClient, workload: Workload, concurrency: Int, data: DataSet, seconds: Double, seed: UInt64
) async throws -> [[Int64]] {
    let deadline = ContinuousClock.now + .nanoseconds(Int64(seconds * 1e9))
    return try await withThrowingTaskGroup(of: [Int64].self) { group in
        for task in 0..<concurrency {
            group.addTask(executorPreference: client.taskExecutor(forTask: task)) {
                var rng = FastRandom(seed: seed &+ UInt64(task) &* 7919)
                var latencies: [Int64] = []
                latencies.reserveCapacity(1 << 14)
                var sink = 0
                var now = ContinuousClock.now
                while now < deadline {
                    let op = workload.pick(&rng)
                    sink &+= try await client.run(op, data: data, rng: &rng)
                    let end = ContinuousClock.now
                    // Through Double, not `components` (a 128-bit division per operation, charged to the
                    // client measured): within a nanosecond for any latency below 104 days.
                    latencies.append(Int64(((end - now) / .nanoseconds(1)).rounded()))
                    now = end
                }
                if sink == 42 { print("", terminator: "") }  // keeps `sink` (and the decoding) alive
                return latencies
            }
        }
        var out: [[Int64]] = []
        for try await l in group { out.append(l) }
        return out
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
