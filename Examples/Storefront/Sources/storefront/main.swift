#if Hummingbird
import EmbeddedPostgres
import Foundation
import Hummingbird
import LibPQ
import Logging
import Metrics
import Prometheus
import StorefrontExample

// The example storefront server: `swift run storefront`. With DATABASE_URL unset it starts an embedded
// throwaway PostgreSQL (removed again at exit), as `sessionctl demo` does; SIGTERM or SIGINT shut it down
// gracefully (requests in flight finish, the services stop, the pool closes, then the embedded server).

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return handler
}
let logger = Logger(label: "storefront")

let registry = PrometheusCollectorRegistry()
var factory = PrometheusMetricsFactory(registry: registry)
// swift-metrics labels use dots (`psql.pool.query.duration`); Prometheus names use underscores.
factory.nameAndLabelSanitizer = { name, labels in (name.replacingOccurrences(of: ".", with: "_"), labels) }
MetricsSystem.bootstrap(factory)

let configuration: StorefrontConfiguration
do {
    configuration = try StorefrontConfiguration.fromEnvironment()
} catch {
    logger.critical("invalid configuration: \(error)")
    exit(2)
}

var embedded: EmbeddedPostgres?
let database: PostgresConfiguration
do {
    if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
        database = try PostgresConfiguration(url)
        logger.info("database: DATABASE_URL (\(database))")
    } else {
        logger.info("DATABASE_URL is not set: starting an embedded throwaway PostgreSQL...")
        let server = try EmbeddedPostgres.prepare(prefix: "storefront")
        embedded = server
        try server.boot()
        database = try server.configuration
        logger.info("embedded PostgreSQL at \(server.directory.path) (removed at exit)")
    }
    try await StorefrontDatabase.prepare(database)
} catch {
    logger.critical("could not set up the database: \(error)")
    embedded?.stop()
    exit(1)
}

let storefront = Storefront(configuration: configuration, database: database, metrics: registry, logger: logger)
var status: Int32 = 0
do {
    logger.info("storefront listening on http://\(configuration.host):\(configuration.port)")
    try await storefront.application.runService()
} catch {
    logger.error("storefront stopped: \(error)")
    status = 1
}
embedded?.stop()
logger.info("storefront stopped")
exit(status)
#else
// Built without the package trait: Hummingbird is not part of the build.
import Foundation

FileHandle.standardError.write(Data("storefront needs the package trait Hummingbird: swift run --traits Hummingbird storefront\n".utf8))
exit(2)
#endif
