import ArgumentParser
import Foundation
import LibPQ
import Sessions

/// `sessionctl demo`: the whole life of a session, step by step, against an embedded throwaway PostgreSQL
/// (or `DATABASE_URL`, in a schema of its own that is dropped afterwards).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk a session through its life: anonymous, order, login, lookup, renewal, logout, cleanup.")

    func run() async throws {
        try await withScratchSchema(prefix: "sessionctl_demo_") { configuration, schema in
            try await DemoScript(configuration: configuration, schema: schema).run()
        }
    }
}

/// Prints one step, `[step] text`, unbuffered: each step shows as it happens, also through a pipe.
func say(_ step: String, _ text: String) {
    let line = "[\(step)]".padding(toLength: 12, withPad: " ", startingAt: 0) + text + "\n"
    FileHandle.standardOutput.write(Data(line.utf8))
}

/// The steps of the demo, on a schema of their own.
struct DemoScript {
    let configuration: PostgresConfiguration
    let schema: String

    func run() async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration)
        try await connection.execute(script: try VendureSchema.sql())
        say("schema", "created the Vendure tables session, user, order, channel in schema \(schema)")
        let channel = try await connection.query(
            "INSERT INTO channel (code, token) VALUES ('__default_channel__', 'demo-channel-token') RETURNING id")[0]
            .decode(Int.self, at: 0)
        let user = try await connection.query(
            "INSERT INTO \"user\" (identifier, verified) VALUES ('alice@example.com', true) RETURNING id")[0]
            .decode(Int.self, at: 0)
        let order = try await connection.query(
            "INSERT INTO \"order\" (code, state) VALUES ('DEMO-0001', 'AddingItems') RETURNING id")[0]
            .decode(Int.self, at: 0)

        // A clock the demo moves by hand, so renewal and expiry show without waiting months.
        let clock = ManualSessionClock()
        let cache = InMemorySessionCache(clock: clock)
        let store = SessionStore(database: connection, cache: cache, clock: clock)
        // A second store, as another server process would have, with its own cache and listener.
        let otherConnection = try await PostgresConnection.connect(configuration: configuration)
        let otherCache = InMemorySessionCache(clock: clock)
        let other = SessionStore(database: otherConnection, cache: otherCache, clock: clock)
        let listener = SessionInvalidationListener(store: other) { [configuration] in
            try await PostgresConnection.connect(configuration: configuration)
        }
        let listening = Task { try await listener.run() }
        defer { listening.cancel() }

        let anonymous = try await store.createAnonymousSession(activeChannel: channel)
        say("anonymous", "created session \(anonymous.id), token \(SessionToken.redacted(anonymous.token)), expires \(anonymous.expires)")
        let withOrder = try await store.setActiveOrder(order, forToken: anonymous.token)
        say("order", "active order \(withOrder?.activeOrder?.code ?? "?") (\(withOrder?.activeOrder?.state ?? "?")) set on session \(anonymous.id)")

        let session = try await store.createAuthenticatedSession(
            user: user, authenticationStrategy: "native", activeOrder: withOrder?.activeOrderId, activeChannel: channel)
        try await store.invalidate(token: anonymous.token)
        say("login", "alice@example.com logged in: session \(session.id), token \(SessionToken.redacted(session.token)); the order moved over, the anonymous session was invalidated")

        let queries = store.statistics.queries
        let found = try await store.session(forToken: session.token)
        say("lookup", "found session \(found?.id ?? 0) for \(found?.user?.identifier ?? "?") with order \(found?.activeOrder?.code ?? "-") in channel \(found?.activeChannel?.code ?? "-") (\(store.statistics.queries - queries) queries: cache hit)")
        _ = try await other.session(forToken: session.token)
        say("lookup", "another store (another process) looked it up too and cached it")

        clock.advance(by: 200 * 86_400)
        let renewed = try await store.session(forToken: session.token)
        say("renewal", "200 days later (less than half of the year left) the lookup moved expiry \(session.expires) -> \(renewed?.expires ?? .distantPast)")
        clock.advance(by: 10)
        _ = try await store.session(forToken: session.token)
        say("renewal", "10 s later: no second renewal (\(store.statistics.renewals) renewal write so far)")

        while !listener.isListening { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        try await store.invalidate(token: session.token)
        while otherCache.contains(session.cacheKey), ContinuousClock.now - start < .seconds(2) {
            try await Task.sleep(for: .milliseconds(1))
        }
        say("logout", "session \(session.id) invalidated; the other store's cached copy was evicted \(milliseconds(ContinuousClock.now - start)) later (NOTIFY)")
        let afterLogout = try await store.session(forToken: session.token)
        say("logout", "lookup after logout: \(afterLogout == nil ? "rejected" : "FOUND (bug)")")

        for _ in 0..<3 { _ = try await store.createAnonymousSession() }
        clock.advance(by: 400 * 86_400)
        let removed = try await store.cleanExpiredSessions(batchSize: 2)
        say("cleanup", "400 days on, cleanup removed \(removed) expired sessions in batches of 2")

        let table = try await store.databaseStatistics()
        let stats = store.statistics
        say("stats", "table: \(table.anonymous) anonymous, \(table.authenticated) authenticated live, \(table.invalidated) invalidated, \(table.total) rows")
        say("stats", "store: \(stats.lookups) lookups, \(stats.cacheHits) cache hits, \(stats.databaseLookups) database lookups, \(stats.renewals) renewals, \(stats.queries) statements")
        listening.cancel()
        _ = await listening.result
        await otherConnection.close()
        await connection.close()
    }
}

/// "1.2 ms".
func milliseconds(_ d: Duration) -> String {
    let (s, atto) = d.components
    return String(format: "%.1f ms", Double(s) * 1000 + Double(atto) / 1e15)
}
