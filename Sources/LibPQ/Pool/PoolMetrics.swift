import Metrics

/// The pool's swift-metrics instruments. Every one carries the dimension `pool` (the pool's label).
///
/// - `psql.pool.connections.open` (gauge), `psql.pool.connections.in_use` (gauge), `psql.pool.waiters` (gauge)
/// - `psql.pool.acquire.duration` (timer): how long callers waited for a connection
/// - `psql.pool.query.duration` (timer): query execution time on the connection
/// - `psql.pool.errors` (counter, dimension `code`: the ``PostgresError/Code``)
/// - `psql.pool.pipeline.depth` (recorder): shared leases on a connection when one more was added
struct PoolMetrics: Sendable {
    let label: String
    let open: Gauge
    let inUse: Gauge
    let waiters: Gauge
    let acquire: Metrics.Timer
    let query: Metrics.Timer
    let depth: Recorder

    init(label: String) {
        self.label = label
        let d = [("pool", label)]
        open = Gauge(label: "psql.pool.connections.open", dimensions: d)
        inUse = Gauge(label: "psql.pool.connections.in_use", dimensions: d)
        waiters = Gauge(label: "psql.pool.waiters", dimensions: d)
        acquire = Metrics.Timer(label: "psql.pool.acquire.duration", dimensions: d)
        query = Metrics.Timer(label: "psql.pool.query.duration", dimensions: d)
        depth = Recorder(label: "psql.pool.pipeline.depth", dimensions: d, aggregate: true)
    }

    struct Snapshot: Equatable {
        var open: Int
        var inUse: Int
        var waiters: Int
    }

    func record(_ s: Snapshot) {
        open.record(s.open)
        inUse.record(s.inUse)
        waiters.record(s.waiters)
    }

    func error(_ error: any Error) {
        let code = (error as? PostgresError)?.code.description ?? (error is CancellationError ? "cancelled" : "other")
        Counter(label: "psql.pool.errors", dimensions: [("pool", label), ("code", code)]).increment()
    }
}

extension Metrics.Timer {
    func record(_ duration: Duration) {
        let (s, atto) = duration.components
        recordNanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
