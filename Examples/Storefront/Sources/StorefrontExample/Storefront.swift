#if Hummingbird
public import Hummingbird
import HummingbirdPostgresSessions
public import LibPQ
public import Logging
public import Prometheus
public import Sessions
import ServiceLifecycle

/// The example storefront server: a Hummingbird application whose routes use the session integration,
/// with the pool, the session cleanup and the invalidation listener as services of the application.
public struct Storefront: Sendable {
    /// The application; `runService()` runs it until SIGTERM or SIGINT, then shuts down gracefully.
    public let application: Application<RouterResponder<StorefrontContext>>
    /// The session store (its ``SessionStore/statistics`` are served at `/stats`).
    public let store: SessionStore
    /// The pool the store and the routes use.
    public let pool: PostgresPool
    /// The store's in-process cache (left empty, unused, when ``StorefrontConfiguration/sessionCache`` is
    /// off).
    public let cache: InMemorySessionCache
    /// The listener that evicts sessions other processes changed from ``cache``.
    public let listener: SessionInvalidationListener

    /// Builds the server. The database must be prepared (``StorefrontDatabase/prepare(_:)``).
    ///
    /// - Parameters:
    ///   - configuration: address, token methods, cleanup interval.
    ///   - database: where the tables are.
    ///   - metrics: a Prometheus registry to serve at `/metrics` (the one swift-metrics was bootstrapped
    ///     with), or nil for no `/metrics` route.
    ///   - cache: the store's cache; with ``StorefrontConfiguration/sessionCache`` off the store gets a
    ///     `NoSessionCache` instead and reads the database on every lookup.
    ///   - logger: the server's logger; the pool, the store and the services log through it too.
    public init(
        configuration: StorefrontConfiguration, database: PostgresConfiguration,
        metrics: PrometheusCollectorRegistry? = nil, cache: InMemorySessionCache = InMemorySessionCache(), logger: Logger
    ) {
        let pool = PostgresPool(configuration: configuration.pool, connection: database, label: "storefront", logger: logger)
        var storeConfiguration = SessionStore.Configuration()
        storeConfiguration.invalidationChannel = configuration.invalidationChannel
        let strategy: any SessionCacheStrategy = configuration.sessionCache ? cache : NoSessionCache()
        let store = SessionStore(database: pool, cache: strategy, configuration: storeConfiguration, logger: logger)
        let listener = SessionInvalidationListener(store: store, logger: logger) {
            try await PostgresConnection.connect(configuration: database)
        }
        let cleanup = SessionCleanupService(store: store, interval: configuration.cleanupInterval, logger: logger)

        let router = Router(context: StorefrontContext.self)
        // Logs every request at debug level; only added when the logger logs at that level: otherwise it
        // would cost each request an async middleware frame that logs nothing (measured by
        // scripts/bench-http).
        if logger.logLevel <= .debug { router.add(middleware: LogRequestsMiddleware(.debug)) }
        router.add(
            middleware: PostgresSessionMiddleware(
                store: store, configuration: configuration.sessions, channels: PostgresChannelResolver(database: pool)))
        StorefrontRoutes(store: store, pool: pool, users: configuration.demoUsers, metrics: metrics).add(to: router)

        self.application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "storefront"),
            // Started in this order and stopped in reverse: the server stops taking requests first, the
            // pool closes last.
            services: [pool, listener, cleanup],
            logger: logger)
        self.store = store
        self.pool = pool
        self.cache = cache
        self.listener = listener
    }
}
#endif
