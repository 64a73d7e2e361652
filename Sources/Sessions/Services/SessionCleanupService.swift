public import Logging
public import ServiceLifecycle

/// Runs ``SessionStore/cleanExpiredSessions(batchSize:progress:)`` now and then every `interval`, until
/// graceful shutdown. Add it to a `ServiceGroup`; it starts no task before `run()`.
///
/// The clock is injected so tests move time instead of waiting for it.
public struct SessionCleanupService<C: Clock>: Service where C.Duration == Duration {
    let store: SessionStore
    let interval: Duration
    let batchSize: Int
    let clock: C
    let logger: Logger
    let onPass: (@Sendable (Int) -> Void)?

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - store: the store whose expired sessions are removed.
    ///   - interval: the time between the end of one cleanup pass and the start of the next; positive.
    ///   - batchSize: rows deleted per statement; at least 1.
    ///   - clock: the clock the service sleeps on between passes.
    ///   - logger: where passes (`debug`) and failed passes (`warning`) are logged.
    ///   - onPass: called after each pass with the number of sessions removed (for tests and logs).
    public init(
        store: SessionStore, interval: Duration = .seconds(3600), batchSize: Int = 1000, clock: C,
        logger: Logger = Logger(label: "Sessions.cleanup", factory: { _ in SwiftLogNoOpLogHandler() }),
        onPass: (@Sendable (Int) -> Void)? = nil
    ) {
        self.store = store
        self.interval = interval
        self.batchSize = batchSize
        self.clock = clock
        self.logger = logger
        self.onPass = onPass
    }

    /// Cleans, sleeps, repeats; returns on graceful shutdown or cancellation. A failing pass is logged and
    /// retried at the next interval.
    ///
    /// - Throws: ``SessionStoreError/Code/invalidArgument`` at once, before any pass, when `interval` or
    ///   `batchSize` is not positive, and ``SessionStoreError/Code/invalidConfiguration`` when the store's
    ///   configuration is invalid: retrying would not mend either.
    public func run() async throws {
        try SessionStoreError.requirePositive(batchSize, "batchSize")
        try SessionStoreError.requirePositive(interval, "interval")
        if let error = store.configurationError { throw error }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await store.cleanExpiredSessions(batchSize: batchSize)
                    logger.debug("session cleanup pass", metadata: ["sessions.removed": "\(removed)"])
                    onPass?(removed)
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("session cleanup failed", metadata: ["error": "\(error)"])
                }
                do {
                    try await clock.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
}

extension SessionCleanupService where C == ContinuousClock {
    /// Creates the service on the continuous clock.
    public init(
        store: SessionStore, interval: Duration = .seconds(3600), batchSize: Int = 1000,
        logger: Logger = Logger(label: "Sessions.cleanup", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.init(store: store, interval: interval, batchSize: batchSize, clock: ContinuousClock(), logger: logger)
    }
}
