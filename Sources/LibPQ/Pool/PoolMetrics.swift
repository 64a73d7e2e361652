import Metrics
import Synchronization

/// The pool's swift-metrics instruments. Every one carries the dimension `pool` (the pool's label).
///
/// - `psql.pool.connections.open` (gauge), `psql.pool.connections.in_use` (gauge), `psql.pool.waiters` (gauge)
/// - `psql.pool.acquire.duration` (timer): how long callers waited for a connection (0 when one was free
///   at once: the clock is read again only after a wait)
/// - `psql.pool.query.duration` (timer): from the lease to the result
/// - `psql.pool.errors` (counter, dimension `code`: the ``PostgresError/Code``)
/// - `psql.pool.pipeline.depth` (recorder): shared leases on a connection when one more was added
final class PoolMetrics: Sendable {
    let label: String
    let open: IntegerRecorder
    let inUse: IntegerRecorder
    let waiters: IntegerRecorder
    let acquire: Metrics.Timer
    let query: Metrics.Timer
    let depth: IntegerRecorder

    init(label: String) {
        self.label = label
        let d = [("pool", label)]
        open = IntegerRecorder(label: "psql.pool.connections.open", dimensions: d, aggregate: false)
        inUse = IntegerRecorder(label: "psql.pool.connections.in_use", dimensions: d, aggregate: false)
        waiters = IntegerRecorder(label: "psql.pool.waiters", dimensions: d, aggregate: false)
        acquire = Metrics.Timer(label: "psql.pool.acquire.duration", dimensions: d)
        query = Metrics.Timer(label: "psql.pool.query.duration", dimensions: d)
        depth = IntegerRecorder(label: "psql.pool.pipeline.depth", dimensions: d, aggregate: true)
    }

    /// The gauges' values at one moment, taken under the pool's lock.
    struct Snapshot: Equatable {
        var open: Int
        var inUse: Int
        var waiters: Int
    }

    /// A snapshot and its place in the order the pool's lock took them (1, 2, ...).
    struct Published {
        var snapshot: Snapshot
        var sequence: UInt64
    }

    /// The sequence number of the snapshot the gauges show.
    private let shown = Mutex<UInt64>(0)

    /// Sets the gauges to `published`, unless they already show a later snapshot. Snapshots are recorded
    /// after the pool's lock is released, so two threads can arrive here in the opposite order from the
    /// one they took them in; recording the older one last would leave the gauges wrong until the next
    /// change (an idle pool reporting a connection in use, say).
    func record(_ published: Published) {
        shown.withLock { shown in
            guard published.sequence > shown else { return }
            shown = published.sequence
            open.record(published.snapshot.open)
            inUse.record(published.snapshot.inUse)
            waiters.record(published.snapshot.waiters)
        }
    }

    func error(_ error: any Error) {
        let code = (error as? PostgresError)?.code.description ?? (error is CancellationError ? "cancelled" : "other")
        Counter(label: "psql.pool.errors", dimensions: [("pool", label), ("code", code)]).increment()
    }
}

/// A recorder (`aggregate: true`) or gauge (`aggregate: false`) of integers that calls its swift-metrics
/// handler directly, as `Recorder` and `Gauge` do. Their `record(_:)` is generic and `Recorder` is a
/// non-final class, so called from this package it ran swift-metrics' unspecialised generic (Int to Int64
/// through protocol witnesses): about 3% of a pooled lookup's client CPU for one recorder.
struct IntegerRecorder: Sendable {
    let handler: any RecorderHandler

    init(label: String, dimensions: [(String, String)] = [], aggregate: Bool) {
        handler = MetricsSystem.factory.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func record(_ value: Int) { handler.record(Int64(value)) }
}
