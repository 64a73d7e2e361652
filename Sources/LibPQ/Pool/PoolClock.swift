public import Logging

/// The time source of a pool. Times are durations since the clock's own origin, so the pool's state
/// machine never reads a clock: every event carries the current time.
@_spi(PoolInternals)
public protocol PoolClock: Sendable {
    /// The time now, since the clock's origin. Never goes backwards.
    var now: Duration { get }
    /// Sleeps until `deadline` (a time on this clock). Throws when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

/// ``PoolClock`` over `ContinuousClock`, with the origin at its creation.
struct ContinuousPoolClock: PoolClock {
    let origin = ContinuousClock.now
    var now: Duration { ContinuousClock.now - origin }
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
