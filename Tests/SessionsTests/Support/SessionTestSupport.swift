import Entities
import Foundation
import LibPQ
import Logging
import Sessions
import Synchronization
import TestSupport

/// What a store test gets: a store on a fresh schema with the Vendure tables, its cache and its clock.
struct StoreFixture {
    let connection: PostgresConnection
    let schema: String
    let store: SessionStore
    let cache: InMemorySessionCache
    let clock: ManualSessionClock
    let database: CountingDatabase

    /// Inserts a channel; returns its id.
    func makeChannel(_ code: String = "__default_channel__") async throws -> Int {
        let token = "tok-" + code
        return try await connection.query(
            "INSERT INTO channel (code, token) VALUES (\(code), \(token)) RETURNING id")[0].decode(Int.self, at: 0)
    }

    /// Inserts an order; returns its id.
    func makeOrder(_ code: String, state: String = "AddingItems") async throws -> Int {
        try await connection.query(
            "INSERT INTO \"order\" (code, state) VALUES (\(code), \(state)) RETURNING id")[0].decode(Int.self, at: 0)
    }

    /// Inserts a user; returns its id.
    func makeUser(_ identifier: String, verified: Bool = true) async throws -> Int {
        try await connection.query(
            "INSERT INTO \"user\" (identifier, verified) VALUES (\(identifier), \(verified)) RETURNING id")[0]
            .decode(Int.self, at: 0)
    }

    /// The raw row of a session: expires, updatedAt, invalidated.
    func row(id: Int) async throws -> (expires: Date, updatedAt: Date, invalidated: Bool)? {
        let rows = try await connection.query(
            "SELECT expires, \"updatedAt\", invalidated FROM session WHERE id = \(id)")
        guard let row = rows.first else { return nil }
        let (e, u, i) = try row.decode((Date, Date, Bool).self)
        return (e, u, i)
    }

    /// Installs a trigger that counts updated session rows (exact, unlike the asynchronous statistics views).
    func countUpdates() async throws {
        try await connection.execute(script: """
            CREATE TABLE update_count (n int NOT NULL);
            INSERT INTO update_count VALUES (0);
            CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS
              $$ BEGIN UPDATE update_count SET n = n + 1; RETURN NEW; END $$;
            CREATE TRIGGER count_update AFTER UPDATE ON session FOR EACH ROW EXECUTE FUNCTION count_update();
            """)
    }

    /// Session rows updated since ``countUpdates()``.
    func updates() async throws -> Int {
        try await connection.query("SELECT n FROM update_count")[0].decode(Int.self, at: 0)
    }
}

enum Fixture {
    /// A unique channel name per test, so tests running in parallel do not hear each other.
    static func channel(_ schema: String) -> String { "sessions_\(schema)" }

    /// Runs `body` with a store on a fresh schema holding the Vendure tables. The session duration is the
    /// configuration's default unless `duration` is given.
    static func withStore<T>(
        duration: Duration? = nil,
        cacheTTL: Duration = .seconds(300),
        cacheCapacity: Int = 10_000,
        logger: Logger? = nil,
        configure: (inout SessionStore.Configuration) -> Void = { _ in },
        _ body: (StoreFixture) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.execute(script: try VendureSchema.sql())
            let clock = ManualSessionClock(start: Date(timeIntervalSince1970: 1_750_000_000))
            let cache = try InMemorySessionCache(capacity: cacheCapacity, ttl: cacheTTL, clock: clock)
            var configuration = SessionStore.Configuration()
            if let duration { configuration.sessionDuration = duration }
            configuration.invalidationChannel = channel(schema)
            configure(&configuration)
            let database = CountingDatabase(connection)
            let store: SessionStore
            if let logger {
                store = SessionStore(database: database, cache: cache, clock: clock, configuration: configuration, logger: logger)
            } else {
                store = SessionStore(database: database, cache: cache, clock: clock, configuration: configuration)
            }
            return try await body(
                StoreFixture(connection: connection, schema: schema, store: store, cache: cache, clock: clock, database: database))
        }
    }
}

/// A ``PostgresQueryable`` that counts the statements it passes on.
final class CountingDatabase: PostgresQueryable {
    let base: any PostgresQueryable
    private let counter = Atomic<Int>(0)

    init(_ base: any PostgresQueryable) { self.base = base }

    var queries: Int { counter.load(ordering: .relaxed) }

    func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
        counter.add(1, ordering: .relaxed)
        return try await base.query(query, timeout: timeout)
    }

    func execute(script: String, timeout: Duration?) async throws {
        counter.add(1, ordering: .relaxed)
        try await base.execute(script: script, timeout: timeout)
    }
}


