public import Logging
#if os(Linux)
import Glibc
#endif

/// The time source of a pool. Times are durations since the clock's own origin, so the pool's state
/// machine never reads a clock: every event carries the current time.
@_spi(PoolInternals)
public protocol PoolClock: Sendable {
    /// The time now, since the clock's origin. Never goes backwards.
    var now: Duration { get }
    /// ``now`` in whole nanoseconds. The pool measures its metrics' durations with it: converting a
    /// `Duration` to nanoseconds costs a 128-bit division or a conversion through `Double` per reading.
    /// The default derives it from ``now``.
    var nowNanoseconds: Int64 { get }
    /// Sleeps until `deadline` (a time on this clock). Throws when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

extension PoolClock {
    public var nowNanoseconds: Int64 { Int64((now / .nanoseconds(1)).rounded(.down)) }
}

/// ``PoolClock`` over `ContinuousClock`, with the origin at its creation.
struct ContinuousPoolClock: PoolClock {
    let origin = ContinuousClock.now
    #if os(Linux)
    /// The origin on `CLOCK_BOOTTIME`, the clock `ContinuousClock` reads on Linux (not on every platform
    /// that has Glibc: FreeBSD's reads `CLOCK_MONOTONIC`).
    private let originNanoseconds = Self.bootTimeNanoseconds()
    /// Read directly: `ContinuousClock.now - origin` (an instant, an Int128 subtraction and conversions)
    /// cost about 2% of a pooled query's client CPU, for the two readings each query takes.
    var now: Duration { .nanoseconds(nowNanoseconds) }
    var nowNanoseconds: Int64 { Int64(bitPattern: Self.bootTimeNanoseconds() &- originNanoseconds) }

    private static func bootTimeNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
    #else
    var now: Duration { ContinuousClock.now - origin }
    #endif
    func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: .milliseconds(5))
    }
}

/// Opens the pool's connections.
@_spi(PoolInternals)
public protocol PoolConnectionFactory: Sendable {
    /// Opens one connection. Throws a ``PostgresError`` when it cannot.
    func makeConnection(configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection
}

/// The factory used in production: `PostgresConnection.connect`.
struct LibPQConnectionFactory: PoolConnectionFactory {
    func makeConnection(configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: configuration, logger: logger)
    }
}

/// What a pool depends on besides the server: a clock, a connection factory and a source of random
/// numbers in `0..<1` for backoff jitter. Tests inject their own.
@_spi(PoolInternals)
public struct PoolDependencies: Sendable {
    public var clock: any PoolClock
    public var factory: any PoolConnectionFactory
    public var jitter: @Sendable () -> Double

    public init(
        clock: any PoolClock, factory: any PoolConnectionFactory, jitter: @escaping @Sendable () -> Double
    ) {
        self.clock = clock
        self.factory = factory
        self.jitter = jitter
    }

    /// The real clock, libpq connections and the system random number generator.
    public static var live: PoolDependencies {
        PoolDependencies(
            clock: ContinuousPoolClock(), factory: LibPQConnectionFactory(),
            jitter: { Double.random(in: 0..<1) })
    }
}
