#if Hummingbird
import Crypto
import Foundation
import Hummingbird
import HummingbirdPostgresSessions
import LibPQ
import Prometheus
import Sessions

/// The routes of the example: `GET /session`, `POST /login`, `POST /logout`, `PUT /active-order/{code}`,
/// `GET /me` (guarded), plus `GET /stats`, `GET /metrics` and `GET /health`.
struct StorefrontRoutes: Sendable {
    let store: SessionStore
    let pool: PostgresPool
    let users: [String: String]
    let metrics: PrometheusCollectorRegistry?

    func add(to router: Router<StorefrontContext>) {
        // Reads the session; creates none (an anonymous visitor costs no row).
        router.get("session") { _, context in
            SessionResponse(context.sessions.session)
        }

        router.post("login") { request, context in
            let login = try await request.decode(as: LoginRequest.self, context: context)
            guard let expected = users[login.username], Self.constantTimeEqual(login.password, expected) else {
                throw HTTPError(.unauthorized, message: "Invalid credentials.")
            }
            let rows = try await pool.query(
                "SELECT id FROM \"user\" WHERE identifier = \(login.username) AND \"deletedAt\" IS NULL")
            guard let row = rows.first else { throw HTTPError(.unauthorized, message: "Invalid credentials.") }
            let session = try await context.sessions.logIn(userID: try row.decode(Int.self, at: 0), authenticationStrategy: "native")
            return SessionResponse(session)
        }

        router.post("logout") { _, context in
            try await context.sessions.logOut()
            return SessionResponse(nil)
        }

        // Makes the order `code` (created when new) the session's active order, creating an anonymous
        // session when the visitor has none: the first route that needs a session.
        router.put("active-order/:code") { _, context in
            let code = try context.parameters.require("code")
            guard Self.isOrderCode(code) else { throw HTTPError(.badRequest, message: "An order code is 1 to 64 letters, digits, - or _.") }
            let id = try await pool.query("""
                INSERT INTO "order" (code, state) VALUES (\(code), 'AddingItems')
                ON CONFLICT (code) DO UPDATE SET "updatedAt" = now() RETURNING id
                """)[0].decode(Int.self, at: 0)
            return SessionResponse(try await context.sessions.setActiveOrder(id))
        }

        // Needs a logged-in user (401 otherwise) whose address is verified (403 otherwise).
        router.group("me")
            .add(middleware: RequireAuthenticatedSession { [pool] session in
                guard let id = session.user?.id else { return false }
                let query: PostgresQuery = "SELECT verified FROM \"user\" WHERE id = \(id)"
                let rows = try await pool.query(query.readOnly())
                return try rows.first?.decode(Bool.self, at: 0) ?? false
            })
            .get { _, context in
                let user = context.sessions.session?.user
                return MeResponse(id: user?.id, identifier: user?.identifier)
            }

        router.get("stats") { _, _ in
            StatsResponse(store: store.statistics, pool: pool.statistics)
        }

        router.get("health") { _, _ in HTTPResponse.Status.ok }

        if let metrics {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
        }
    }

    static func isOrderCode(_ code: String) -> Bool {
        (1...64).contains(code.utf8.count)
            && code.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }

    /// Compares the SHA-256 digests of the two strings in constant time, so that the time taken does
    /// not tell how much of a guessed password was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = SHA256.hash(data: Array(a.utf8))
        let y = SHA256.hash(data: Array(b.utf8))
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The body of `GET /stats`.
struct StatsResponse: ResponseEncodable {
    struct Store: Codable {
        var lookups, cacheHits, cacheMisses, malformedTokens, databaseLookups, queries, renewals, created, removed,
            remoteEvictions: Int
    }
    struct Pool: Codable {
        var openConnections, connectionsInUse, connecting, waiters: Int
    }
    var store: Store
    var pool: Pool

    init(store s: SessionStoreStatistics, pool p: PostgresPool.Statistics) {
        store = Store(
            lookups: s.lookups, cacheHits: s.cacheHits, cacheMisses: s.cacheMisses, malformedTokens: s.malformedTokens,
            databaseLookups: s.databaseLookups, queries: s.queries, renewals: s.renewals, created: s.created,
            removed: s.removed, remoteEvictions: s.remoteEvictions)
        pool = Pool(openConnections: p.openConnections, connectionsInUse: p.connectionsInUse, connecting: p.connecting, waiters: p.waiters)
    }
}
#endif
