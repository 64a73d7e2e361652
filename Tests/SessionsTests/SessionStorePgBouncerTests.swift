import Entities
import Foundation
import LibPQ
import Sessions
import TestSupport
import Testing

/// Every ``SessionStore`` operation through PgBouncer in transaction mode with the pool's defaults, and the
/// store sequences that returned the old state without an error (36 of 160) while the statement cache ran
/// named statements on other clients' server connections.
@Suite(.enabled(if: PgBouncerDatabase.isConfigured, PgBouncerDatabase.skipMessage), .timeLimit(.minutes(3)))
struct SessionStorePgBouncerTests {
    /// A database with the Vendure tables (created directly), a pool through PgBouncer on it, and `body`.
    private func withBouncedDatabase<T>(
        _ body: (_ pool: PostgresPool, _ direct: PostgresConnection, _ database: String) async throws -> T
    ) async throws -> T {
        try await PgBouncerDatabase.withDatabase { db in
            let direct = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.direct(db))
            try await direct.execute(script: try VendureSchema.sql())
            defer { Task { await direct.close() } }
            return try await PgBouncerDatabase.withPool(try PgBouncerDatabase.bouncer(db)) { pool in
                try await body(pool, direct, db)
            }
        }
    }

    private static func insertID(_ sql: PostgresQuery, on database: some PostgresQueryable) async throws -> Int {
        try await database.query(sql, timeout: .seconds(20))[0].decode(Int.self, at: 0)
    }

    @Test func everyStoreOperationWorksThroughPgBouncer() async throws {
        try await withBouncedDatabase { pool, direct, _ in
            let clock = ManualSessionClock(start: Date(timeIntervalSince1970: 1_750_000_000))
            var configuration = SessionStore.Configuration()
            configuration.sessionDuration = .seconds(3600)
            configuration.invalidationChannel = "pgbouncer_test"  // NOTIFY is transactional: fine through PgBouncer
            let store = SessionStore(database: pool, cache: NoSessionCache(), clock: clock, configuration: configuration)
            let channel = try await Self.insertID("INSERT INTO channel (code, token) VALUES ('eu', 'tok-eu') RETURNING id", on: pool)
            let order = try await Self.insertID("INSERT INTO \"order\" (code, state) VALUES ('ORD-1', 'AddingItems') RETURNING id", on: pool)
            let user = try await Self.insertID("INSERT INTO \"user\" (identifier, verified) VALUES ('ann@example.com', true) RETURNING id", on: pool)

            let anonymous = try await store.createAnonymousSession(activeChannel: channel)
            #expect(anonymous.expires == clock.now.addingTimeInterval(3600))
            // The row holds the UTC wall time (timestamp without time zone, written through PgBouncer).
            let stored = try await direct.query("SELECT expires::text FROM session WHERE id = \(anonymous.id)")[0].decode(String.self, at: 0)
            #expect(stored == "2025-06-15 16:06:40")
            let found = try #require(try await store.session(forToken: anonymous.token))
            #expect(found.id == anonymous.id && found.activeChannel?.code == "eu" && found.kind == .anonymous)

            let withOrder = try #require(try await store.setActiveOrder(order, forToken: anonymous.token))
            #expect(withOrder.activeOrder?.code == "ORD-1")
            #expect(try await store.session(forToken: anonymous.token)?.activeOrderId == order)
            #expect(try await store.unsetActiveOrder(forToken: anonymous.token)?.activeOrderId == nil)
            #expect(try await store.setActiveChannel(channel, forToken: anonymous.token)?.activeChannelId == channel)

            let login = try await store.createAuthenticatedSession(user: user, activeOrder: order, activeChannel: channel)
            let loaded = try #require(try await store.session(forToken: login.token))
            #expect(loaded.user?.identifier == "ann@example.com" && loaded.activeOrderId == order && loaded.kind == .authenticated)

            // Half-life renewal: 40 minutes later less than half is left; the lookup moves the expiry.
            clock.advance(by: 40 * 60)
            #expect(try await store.session(forToken: login.token)?.expires == clock.now.addingTimeInterval(3600))

            let stats = try await store.databaseStatistics()
            #expect(stats.anonymous == 1 && stats.authenticated == 1 && stats.total == 2)

            #expect(try await store.invalidate(token: anonymous.token))
            #expect(try await store.session(forToken: anonymous.token) == nil)

            let second = try await store.createAnonymousSession()
            _ = try await store.setActiveOrder(order, forToken: second.token)
            #expect(try await store.deleteOrder(id: order))
            #expect(try await store.session(forToken: second.token)?.activeOrderId == nil)
            #expect(try await store.deleteSessions(forUser: user) == 1)
            #expect(try await store.session(forToken: login.token) == nil)

            let other = try await Self.insertID("INSERT INTO \"order\" (code, state) VALUES ('ORD-2', 'AddingItems') RETURNING id", on: pool)
            _ = try await store.setActiveOrder(other, forToken: second.token)
            #expect(try await store.deleteSessions(forActiveOrder: other) == 1)

            let inChannel = try await store.createAnonymousSession(activeChannel: channel)
            #expect(try await store.deleteChannel(id: channel))
            #expect(try await store.session(forToken: inChannel.token) == nil)

            _ = try await store.createAnonymousSession()
            clock.advance(by: 2 * 3600)
            #expect(try await store.cleanExpiredSessions(batchSize: 10) >= 1)
            #expect(try await store.databaseStatistics().total == 0)
        }
    }

    @Test func oneHundredSixtyStoreSequencesThroughPgBouncerEachSeeTheirOwnWrites() async throws {
        try await withBouncedDatabase { pool, _, db in
            var configuration = SessionStore.Configuration()
            configuration.invalidationChannel = ""
            // A second application instance on the same PgBouncer, so server connections are shared.
            try await PgBouncerDatabase.withPool(try PgBouncerDatabase.bouncer(db)) { otherPool in
                let stores = [pool, otherPool].map {
                    SessionStore(database: $0, cache: NoSessionCache(), configuration: configuration)
                }
                let orders = try await (0..<8).asyncMap { i in
                    try await Self.insertID("INSERT INTO \"order\" (code, state) VALUES (\("ORD-\(i)"), 'AddingItems') RETURNING id", on: pool)
                }
                let problems = try await withThrowingTaskGroup(of: [String].self) { group in
                    for worker in 0..<16 {
                        group.addTask {
                            let store = stores[worker % 2]
                            var problems: [String] = []
                            for step in 0..<10 {  // 16 × 10 = 160 sequences
                                let order = orders[(worker + step) % orders.count]
                                do {
                                    let s = try await store.createAnonymousSession()
                                    let set = try await store.setActiveOrder(order, forToken: s.token)
                                    if set?.activeOrderId != order { problems.append("setActiveOrder returned \(String(describing: set?.activeOrderId))") }
                                    let afterSet = try await store.session(forToken: s.token)
                                    if afterSet?.id != s.id || afterSet?.activeOrderId != order {
                                        problems.append("lookup after setActiveOrder: \(String(describing: afterSet?.activeOrderId))")
                                    }
                                    if try await store.invalidate(token: s.token) != true { problems.append("invalidate found nothing") }
                                    if try await store.session(forToken: s.token) != nil { problems.append("lookup after invalidate found the session") }
                                } catch {
                                    problems.append("error: \(error)")
                                }
                            }
                            return problems
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                #expect(problems.isEmpty, "\(problems.count) wrong answers, first: \(problems.prefix(5))")
            }
        }
    }
}
