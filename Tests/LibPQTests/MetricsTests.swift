import Foundation
@testable import LibPQ
import Metrics
import MetricsTestKit
import TestSupport
import Testing

/// The process's metrics backend for tests: swift-metrics takes one bootstrap per process, so every test
/// that reads metrics shares it and tells its own instruments apart by the pool's label.
enum TestMetricsBackend {
    static let shared: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()
}

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct MetricsTests {
    @Test func poolAndConnectionReportTheirInstruments() async throws {
        let metrics = TestMetricsBackend.shared
        let label = "metrics-\(UUID().uuidString.prefix(8))"
        var configuration = PostgresPool.Configuration()
        configuration.maximumConnections = 1
        let pool = PostgresPool(configuration: configuration, connection: try TestDatabase.configuration(), label: label)
        let pooled = [("pool", label)]
        for i in 0..<10 { try await pool.query("SELECT \(Int64(i))") }
        await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1 / 0") }
        // Read-only queries sent together form groups (the tasks run on the loop, started in one turn).
        let executor = PostgresEventLoop.default.taskExecutor
        try await withTaskExecutorPreference(executor) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let q: PostgresQuery = "SELECT \(Int64(i))"
                        try await pool.query(q.readOnly())
                    }
                }
                try await group.waitForAll()
            }
        }

        #expect(try metrics.expectTimer("psql.pool.query.duration", pooled).values.count >= 18)
        #expect(try metrics.expectTimer("psql.pool.acquire.duration", pooled).values.count >= 19)
        #expect(try metrics.expectCounter("psql.pool.errors", pooled + [("code", "server")]).totalValue == 1)
        #expect(try metrics.expectRecorder("psql.pool.pipeline.depth", pooled).values.contains { $0 >= 2 })
        #expect(try metrics.expectGauge("psql.pool.connections.open", pooled).lastValue == 1)
        let groups = try metrics.expectRecorder("psql.connection.read_only_group.size")
        #expect(groups.values.contains { $0 >= 2 })
        await pool.shutdown()
        #expect(try metrics.expectGauge("psql.pool.connections.open", pooled).lastValue == 0)
    }
}

/// The pool records its gauges after releasing its lock, so snapshots can reach the metrics out of order.
@Suite struct PoolMetricsOrderTests {
    @Test func anOlderSnapshotArrivingLastDoesNotOverwriteTheGauges() throws {
        let backend = TestMetricsBackend.shared
        let label = "metrics-order-\(UUID().uuidString.prefix(8))"
        let metrics = PoolMetrics(label: label)
        let busy = PoolMetrics.Published(snapshot: .init(open: 2, inUse: 1, waiters: 3), sequence: 1)
        let idle = PoolMetrics.Published(snapshot: .init(open: 2, inUse: 0, waiters: 0), sequence: 2)
        metrics.record(idle)  // the later snapshot wins the race to the metrics...
        metrics.record(busy)  // ...and the earlier one, arriving last, is dropped
        let pooled = [("pool", label)]
        #expect(try backend.expectGauge("psql.pool.connections.in_use", pooled).lastValue == 0)
        #expect(try backend.expectGauge("psql.pool.waiters", pooled).lastValue == 0)
        #expect(try backend.expectGauge("psql.pool.connections.open", pooled).values == [2])
        let later = PoolMetrics.Published(snapshot: .init(open: 1, inUse: 1, waiters: 0), sequence: 3)
        metrics.record(later)
        #expect(try backend.expectGauge("psql.pool.connections.in_use", pooled).lastValue == 1)
        #expect(try backend.expectGauge("psql.pool.connections.open", pooled).lastValue == 1)
    }
}
