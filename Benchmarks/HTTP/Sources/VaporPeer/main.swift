import Fluent
import FluentPostgresDriver
import Foundation
import PeerSupport
import Vapor

// Vapor 4 with its own session system stored in PostgreSQL through Fluent (`_fluent_sessions`), for the
// HTTP benchmark (scripts/bench-http):
//   POST /seed     creates a session holding the seeded user (sets the `vapor-session` cookie)
//   GET /session   reads `req.session` and answers the storefront's JSON shape; 401 without a session
// Vapor's SessionsMiddleware reads the row (SELECT by key) before the handler and, since the handler used
// the session, writes it back (UPDATE ... SET data) after it: two statements per request, as every Vapor
// app that uses sessions this way runs. Environment: PORT (default 8080), DATABASE_URL,
// CONNECTIONS_PER_LOOP (Fluent's maxConnectionsPerEventLoop; default Fluent's own, 1), LOG_LEVEL
// (default warning). Event loops: Vapor's default, MultiThreadedEventLoopGroup.singleton (one per core).

extension SessionBody: Content {}

let environment = ProcessInfo.processInfo.environment
let level = bootstrapLogging(environment)
guard let url = environment["DATABASE_URL"], let c = URLComponents(string: url), let host = c.host, let user = c.user else {
    fatalError("DATABASE_URL=postgres://user:password@host:port/database is required")
}
let databaseName = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path

// No command-line arguments: `serve` with the settings below.
let app = try await Application.make(Environment(name: "production", arguments: ["vapor"]))
app.logger.logLevel = level
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = Int(environment["PORT"] ?? "") ?? 8080
let postgres = SQLPostgresConfiguration(
    hostname: host, port: c.port ?? 5432, username: user, password: c.password,
    database: databaseName.isEmpty ? nil : databaseName, tls: .disable)
if let perLoop = environment["CONNECTIONS_PER_LOOP"].flatMap(Int.init) {
    app.databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: perLoop), as: .psql)
} else {
    app.databases.use(.postgres(configuration: postgres), as: .psql)
}
app.sessions.use(.fluent(.psql))
app.migrations.add(SessionRecord.migration)
app.middleware.use(app.sessions.middleware)

app.get("health") { _ in HTTPStatus.ok }

let expires = Date(timeIntervalSinceNow: 365.25 * 86_400).formatted(.iso8601)
app.post("seed") { req -> SessionBody in
    req.session.data["id"] = "1"
    req.session.data["user"] = "alice@example.com"
    req.session.data["authenticationStrategy"] = "native"
    req.session.data["expires"] = expires
    return try body(req.session)
}

app.get("session") { req -> SessionBody in
    guard req.hasSession, req.session.data["user"] != nil else { throw Abort(.unauthorized) }
    return try body(req.session)
}

@Sendable func body(_ session: Session) throws -> SessionBody {
    let data = session.data
    guard let id = data["id"].flatMap(Int.init), let expires = data["expires"] else { throw Abort(.unauthorized) }
    return SessionBody(
        session: .init(
            id: id, kind: data["user"] == nil ? "anonymous" : "authenticated", expires: expires,
            activeOrder: data["activeOrder"], activeChannel: data["activeChannel"], user: data["user"],
            authenticationStrategy: data["authenticationStrategy"]))
}

do {
    try await app.autoMigrate().get()
    try await app.execute()
} catch {
    app.logger.critical("\(error)")
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
