import Foundation
import Hummingbird
import Logging
import PeerSupport
import PostgresNIO
import ServiceLifecycle

// Hummingbird 2 serving `GET /session` (bearer token) the two ways the HTTP benchmark compares with the
// storefront (scripts/bench-http):
//   PEER=postgresnio  looks the session up with postgres-nio's PostgresClient (the store's statement)
//   PEER=nodb         answers the same JSON from memory, no database: the HTTP ceiling
// Environment: PORT (default 8080), DATABASE_URL (postgresnio), POOL_CONNECTIONS (default 8, the
// session store's pool default), LOG_LEVEL (default warning). Event loops: Hummingbird's default,
// MultiThreadedEventLoopGroup.singleton (one per core), which PostgresClient uses too.

let environment = ProcessInfo.processInfo.environment
_ = bootstrapLogging(environment)
let logger = Logger(label: "hummingbird-peer")
let port = Int(environment["PORT"] ?? "") ?? 8080
let router = Router()
router.get("health") { _, _ in HTTPResponse.Status.ok }
var services: [any Service] = []

switch environment["PEER"] ?? "" {
case "postgresnio":
    guard let url = environment["DATABASE_URL"], let c = URLComponents(string: url), let host = c.host, let user = c.user else {
        logger.critical("PEER=postgresnio needs DATABASE_URL=postgres://user:password@host:port/database")
        exit(2)
    }
    let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
    var configuration = PostgresClient.Configuration(
        host: host, port: c.port ?? 5432, username: user, password: c.password,
        database: database.isEmpty ? nil : database, tls: .disable)
    configuration.options.maximumConnections = Int(environment["POOL_CONNECTIONS"] ?? "") ?? 8
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    services.append(client)
    router.get("session") { request, _ in
        guard let token = request.bearerToken else { throw HTTPError(.unauthorized) }
        var found: SessionBody.Session?
        for try await row in try await client.execute(SessionLookup(token: String(token), now: Date())) { found = row }
        guard let found else { throw HTTPError(.unauthorized) }
        return SessionBody(session: found)
    }
case "nodb":
    let expires = Date(timeIntervalSinceNow: 365.25 * 86_400).formatted(.iso8601)
    router.get("session") { request, _ in
        guard request.bearerToken != nil else { throw HTTPError(.unauthorized) }
        return SessionBody(
            session: .init(
                id: 1, kind: "authenticated", expires: expires, user: "alice@example.com", authenticationStrategy: "native"))
    }
default:
    logger.critical("PEER must be postgresnio or nodb")
    exit(2)
}

let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hummingbird-peer"),
    services: services, logger: logger)
try await app.runService()
