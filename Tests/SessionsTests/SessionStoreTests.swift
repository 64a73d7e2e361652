import Foundation
import Logging
import Synchronization
import LibPQ
import Sessions
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct SessionStoreTests {
    @Test func createsAnAnonymousSessionAndFindsIt() async throws {
        try await Fixture.withStore { f in
            let channel = try await f.makeChannel()
            let created = try await f.store.createAnonymousSession(activeChannel: channel)
            #expect(created.kind == .anonymous && created.user == nil)
            // The default duration, Vendure's '1y': 365.25 days.
            #expect(created.expires == f.clock.now.addingTimeInterval(31_557_600))
            #expect(created.activeChannel?.code == "__default_channel__")
            let row = try #require(try await f.row(id: created.id))
            #expect(row.expires == created.expires && !row.invalidated)
            #expect(row.updatedAt == f.clock.now)
            let type = try await f.connection.query("SELECT type FROM session WHERE id = \(created.id)")[0].decode(String.self, at: 0)
            #expect(type == "AnonymousSession")
            let found = try await f.store.session(forToken: created.token)
            #expect(found == created)
        }
    }

    @Test func lookupLoadsUserOrderAndChannelInOneQuery() async throws {
        try await Fixture.withStore { f in
            let user = try await f.makeUser("alice@example.com")
            let order = try await f.makeOrder("ORD-1")
            let channel = try await f.makeChannel()
            let created = try await f.store.createAuthenticatedSession(
                user: user, authenticationStrategy: "native", activeOrder: order, activeChannel: channel)
            try await f.cache.clear()
            let before = f.database.queries
            let s = try #require(try await f.store.session(forToken: created.token))
            #expect(f.database.queries == before + 1)
            #expect(s.kind == .authenticated && s.authenticationStrategy == "native")
            #expect(s.user?.id == user && s.user?.identifier == "alice@example.com" && s.user?.verified == true)
            #expect(s.activeOrder?.id == order && s.activeOrder?.code == "ORD-1" && s.activeOrder?.state == "AddingItems")
            #expect(s.activeChannel?.id == channel && s.activeChannel?.token == "tok-__default_channel__")
        }
    }

    @Test func unknownExpiredAndInvalidatedTokensAreRejected() async throws {
        try await Fixture.withStore(duration: .seconds(60)) { f in
            #expect(try await f.store.session(forToken: SessionToken.generate()) == nil)
            let expiring = try await f.store.createAnonymousSession()
            let invalidated = try await f.store.createAnonymousSession()
            #expect(try await f.store.invalidate(token: invalidated.token))
            #expect(try await f.store.session(forToken: invalidated.token) == nil)
            f.clock.advance(by: 61)
            #expect(try await f.store.session(forToken: expiring.token) == nil)  // cached copy expired too
            #expect(f.cache.contains(expiring.cacheKey) == false)
        }
    }

    @Test func malformedTokensAreAnsweredWithoutAQuery() async throws {
        try await Fixture.withStore { f in
            let before = f.database.queries
            let malformed = [
                "", "abc", String(repeating: "A", count: 64), String(repeating: "a", count: 63) + "\0",
                String(repeating: "z", count: 64), String(repeating: "a", count: 4096), "' OR 1=1 --",
            ]
            for token in malformed {
                let found = try await f.store.session(forToken: token)
                let changed = try await f.store.setActiveOrder(1, forToken: token)
                let invalidated = try await f.store.invalidate(token: token)
                #expect(found == nil && changed == nil && !invalidated)
            }
            #expect(f.database.queries == before)
            #expect(f.store.statistics.malformedTokens == 7)
        }
    }

    // Vendure's session-cache e2e test, with the test clock: TTL 2 s.
    @Test func cacheTTLLoginStoresOneEntryHitsThenRefreshesOnceAndLogoutDeletes() async throws {
        try await Fixture.withStore(cacheTTL: .seconds(2)) { f in
            let user = try await f.makeUser("bob@example.com")
            let s = try await f.store.createAuthenticatedSession(user: user)
            #expect(f.cache.statistics.sets == 1 && f.cache.count == 1)
            let queries = f.database.queries
            #expect(try await f.store.session(forToken: s.token) == s)
            #expect(f.database.queries == queries)  // read from the cache
            f.clock.advance(by: 1)
            #expect(try await f.store.session(forToken: s.token) == s)
            #expect(f.cache.statistics.sets == 1 && f.database.queries == queries)  // no write within the TTL
            f.clock.advance(by: 1.5)
            #expect(try await f.store.session(forToken: s.token) == s)
            #expect(f.cache.statistics.sets == 2 && f.database.queries == queries + 1)  // exactly one refresh
            #expect(try await f.store.session(forToken: s.token) == s)
            #expect(f.cache.statistics.sets == 2 && f.database.queries == queries + 1)
            try await f.store.invalidate(token: s.token)
            #expect(f.cache.count == 0)
            #expect(try await f.store.session(forToken: s.token) == nil)
        }
    }

    // Vendure's session-duration e2e test: 3 s, a lookup every second keeps it alive; 3.5 s idle ends it.
    @Test func lookupsKeepAShortSessionAliveAndIdlenessEndsIt() async throws {
        try await Fixture.withStore(duration: .seconds(3)) { f in
            let s = try await f.store.createAnonymousSession()
            for _ in 0..<10 {
                f.clock.advance(by: 1)
                #expect(try await f.store.session(forToken: s.token) != nil)
            }
            let row = try #require(try await f.row(id: s.id))
            #expect(row.expires > f.clock.now)
            #expect(row.updatedAt == f.clock.now || row.updatedAt == f.clock.now.addingTimeInterval(-1))
            f.clock.advance(by: 3.5)
            #expect(try await f.store.session(forToken: s.token) == nil)
        }
    }

    @Test func renewsOnCacheHitsWhenLessThanHalfIsLeft() async throws {
        try await Fixture.withStore(duration: .seconds(100)) { f in
            try await f.countUpdates()
            let s = try await f.store.createAnonymousSession()
            f.clock.advance(by: 49)
            #expect(try await f.store.session(forToken: s.token)?.expires == s.expires)
            #expect(try await f.updates() == 0)
            f.clock.advance(by: 2)  // 49 s left: renew
            let queries = f.database.queries
            let renewed = try #require(try await f.store.session(forToken: s.token))
            #expect(f.store.statistics.cacheHits == 2)
            #expect(renewed.expires == f.clock.now.addingTimeInterval(100))
            #expect(f.database.queries == queries + 1)  // the UPDATE only, no read
            #expect(try await f.updates() == 1)
            let row = try #require(try await f.row(id: s.id))
            #expect(row.expires == renewed.expires)
            #expect(row.updatedAt == f.clock.now)  // same clock as expires: no skew
            // The cache holds the renewed copy: no second renewal.
            #expect(try await f.store.session(forToken: s.token)?.expires == renewed.expires)
            #expect(try await f.updates() == 1)
        }
    }

    @Test func aLookupSaysWhetherItRenewed() async throws {
        try await Fixture.withStore(duration: .seconds(100)) { f in
            let s = try await f.store.createAnonymousSession()
            f.clock.advance(by: 10)
            let fresh = try #require(try await f.store.lookup(token: s.token))
            #expect(!fresh.renewed && fresh.session.expires == s.expires)
            f.clock.advance(by: 50)  // 40 s left
            let renewed = try #require(try await f.store.lookup(token: s.token))
            #expect(renewed.renewed && renewed.session.expires == f.clock.now.addingTimeInterval(100))
            // From the database (cache emptied), past half-life again: renewed on a miss too.
            try await f.cache.clear()
            f.clock.advance(by: 60)
            let again = try #require(try await f.store.lookup(token: s.token))
            #expect(again.renewed && again.session.expires == f.clock.now.addingTimeInterval(100))
            #expect(try await f.store.lookup(token: SessionToken.generate()) == nil)
        }
    }

    @Test func exactlyOneRenewalWriteUnder100ConcurrentLookups() async throws {
        for cached in [true, false] {
            try await Fixture.withStore(duration: .seconds(100)) { f in
                try await f.countUpdates()
                let s = try await f.store.createAnonymousSession()
                if !cached { try await f.cache.clear() }
                f.clock.advance(by: 60)
                let results = try await withThrowingTaskGroup(of: Date?.self) { group in
                    for _ in 0..<100 { group.addTask { try await f.store.session(forToken: s.token)?.expires } }
                    var all: [Date?] = []
                    for try await r in group { all.append(r) }
                    return all
                }
                let expected = f.clock.now.addingTimeInterval(100)
                #expect(results.allSatisfy { $0 == expected }, "cached: \(cached)")
                #expect(try await f.updates() == 1, "cached: \(cached)")
                #expect(f.store.statistics.renewals == 1)
                #expect(try await f.row(id: s.id)?.expires == expected)
            }
        }
    }

    @Test func setAndUnsetActiveOrderAndChannel() async throws {
        try await Fixture.withStore { f in
            let order = try await f.makeOrder("ORD-7", state: "ArrangingPayment")
            let channel = try await f.makeChannel("eu")
            let s = try await f.store.createAnonymousSession()
            f.clock.advance(by: 5)
            let withOrder = try #require(try await f.store.setActiveOrder(order, forToken: s.token))
            #expect(withOrder.activeOrder?.code == "ORD-7" && withOrder.activeOrder?.state == "ArrangingPayment")
            #expect(try await f.row(id: s.id)?.updatedAt == f.clock.now)
            #expect(try await f.store.session(forToken: s.token)?.activeOrderId == order)
            let withChannel = try #require(try await f.store.setActiveChannel(channel, forToken: s.token))
            #expect(withChannel.activeChannel?.code == "eu" && withChannel.activeOrderId == order)
            let unset = try #require(try await f.store.unsetActiveOrder(forToken: s.token))
            #expect(unset.activeOrderId == nil && unset.activeOrder == nil)
            try await f.cache.clear()
            let fresh = try #require(try await f.store.session(forToken: s.token))
            #expect(fresh.activeOrderId == nil && fresh.activeChannelId == channel)
            // Unknown token: nil, nothing written.
            #expect(try await f.store.setActiveOrder(order, forToken: SessionToken.generate()) == nil)
        }
    }

    @Test func deletingAnOrderThatSessionsReferenceDetachesThemAndEvicts() async throws {
        try await Fixture.withStore { f in
            let order = try await f.makeOrder("ORD-DEL")
            let a = try await f.store.createAnonymousSession()
            let b = try await f.store.createAnonymousSession()
            _ = try await f.store.setActiveOrder(order, forToken: a.token)
            _ = try await f.store.setActiveOrder(order, forToken: b.token)
            _ = try await f.store.session(forToken: a.token)  // cached with the order
            #expect(f.cache.contains(a.cacheKey))
            #expect(try await f.store.deleteOrder(id: order))
            #expect(!f.cache.contains(a.cacheKey))
            let s = try #require(try await f.store.session(forToken: a.token))
            #expect(s.activeOrderId == nil && s.activeOrder == nil)
            #expect(try await f.store.session(forToken: b.token)?.activeOrderId == nil)
            #expect(try await f.store.deleteOrder(id: order) == false)
            // The plain DELETE Vendure ran fails on the foreign key; the helper did not.
            let other = try await f.makeOrder("ORD-FK")
            _ = try await f.store.setActiveOrder(other, forToken: a.token)
            let error = try await #require(throws: PostgresError.self) {
                try await f.connection.query("DELETE FROM \"order\" WHERE id = \(other)")
            }
            #expect(error.sqlState == "23503")
        }
    }

    @Test func deletingAChannelRemovesItsSessionsAndEvicts() async throws {
        try await Fixture.withStore { f in
            let channel = try await f.makeChannel("doomed")
            let keep = try await f.makeChannel("kept")
            let a = try await f.store.createAnonymousSession(activeChannel: channel)
            let b = try await f.store.createAnonymousSession(activeChannel: keep)
            #expect(f.cache.contains(a.cacheKey))
            #expect(try await f.store.deleteChannel(id: channel))
            #expect(!f.cache.contains(a.cacheKey))
            #expect(try await f.store.session(forToken: a.token) == nil)
            #expect(try await f.store.session(forToken: b.token) != nil)
            let left = try await f.connection.query("SELECT count(*) FROM channel WHERE id = \(channel)")[0].decode(Int.self, at: 0)
            #expect(left == 0)
        }
    }

    @Test func deleteSessionsForUserAndForActiveOrder() async throws {
        try await Fixture.withStore { f in
            let user = try await f.makeUser("carol@example.com")
            let order = try await f.makeOrder("ORD-U")
            let s1 = try await f.store.createAuthenticatedSession(user: user)
            let s2 = try await f.store.createAuthenticatedSession(user: user, activeOrder: order)
            let anon = try await f.store.createAnonymousSession()
            _ = try await f.store.setActiveOrder(order, forToken: anon.token)
            #expect(try await f.store.deleteSessions(forActiveOrder: order) == 2)
            #expect(try await f.store.session(forToken: s2.token) == nil)
            #expect(try await f.store.session(forToken: anon.token) == nil)
            #expect(try await f.store.deleteSessions(forUser: user) == 1)
            #expect(try await f.store.session(forToken: s1.token) == nil)
            #expect(f.cache.count == 0)
        }
    }

    @Test func sessionsOfSoftDeletedUsersAreRejected() async throws {
        try await Fixture.withStore { f in
            let user = try await f.makeUser("dave@example.com")
            let s = try await f.store.createAuthenticatedSession(user: user)
            try await f.cache.clear()
            try await f.connection.query("UPDATE \"user\" SET \"deletedAt\" = now() WHERE id = \(user)")
            #expect(try await f.store.session(forToken: s.token) == nil)
        }
    }

    @Test func cleanupRemovesAllExpiredSessionsInBatches() async throws {
        try await Fixture.withStore(duration: .seconds(60)) { f in
            // 2,500 expired rows, written directly (creating them through the store would take longer).
            let past = PostgresTimestamp(f.clock.now.addingTimeInterval(-10))
            try await f.connection.query("""
                INSERT INTO session ("token", "expires", "invalidated", "type", "updatedAt")
                SELECT md5(i::text) || md5((i + 100000)::text), \(past), false, 'AuthenticatedSession', \(past)
                FROM generate_series(1, 2500) i
                """)
            let live = try await f.store.createAnonymousSession()
            let batches = BatchRecorder()
            let removed = try await f.store.cleanExpiredSessions(batchSize: 1000) { total, n in batches.record(total, n) }
            #expect(removed == 2500)
            #expect(batches.all.map(\.0) == [1000, 2000, 2500])
            let left = try await f.connection.query("SELECT count(*) FROM session")[0].decode(Int.self, at: 0)
            #expect(left == 1)
            #expect(try await f.store.session(forToken: live.token) != nil)
            #expect(try await f.store.cleanExpiredSessions(batchSize: 1000) == 0)
        }
    }

    @Test func cleanupRemovesIdleAnonymousSessionsWithoutAnOrder() async throws {
        try await Fixture.withStore { f in
            let order = try await f.makeOrder("ORD-IDLE")
            let idle = try await f.store.createAnonymousSession()
            let withOrder = try await f.store.createAnonymousSession()
            _ = try await f.store.setActiveOrder(order, forToken: withOrder.token)
            let user = try await f.makeUser("erin@example.com")
            let authenticated = try await f.store.createAuthenticatedSession(user: user)
            f.clock.advance(by: 6 * 86_400)
            let recent = try await f.store.createAnonymousSession()
            f.clock.advance(by: 86_400 + 1)
            #expect(try await f.store.cleanExpiredSessions() == 1)
            #expect(try await f.store.session(forToken: idle.token) == nil)
            #expect(!f.cache.contains(idle.cacheKey))
            #expect(try await f.store.session(forToken: withOrder.token) != nil)
            #expect(try await f.store.session(forToken: authenticated.token) != nil)
            #expect(try await f.store.session(forToken: recent.token) != nil)
        }
    }

    @Test func concurrentChangesAndLookupsOnOneSessionEndConsistent() async throws {
        try await Fixture.withStore { f in
            let orders = try await (0..<5).asyncMap { try await f.makeOrder("ORD-C\($0)") }
            for round in 0..<10 {
                let s = try await f.store.createAnonymousSession()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<40 {
                        group.addTask {
                            switch i % 4 {
                            case 0: _ = try await f.store.setActiveOrder(orders[i % 5], forToken: s.token)
                            case 1: _ = try await f.store.unsetActiveOrder(forToken: s.token)
                            default: _ = try await f.store.session(forToken: s.token)
                            }
                        }
                    }
                    if round % 2 == 0 { group.addTask { try await f.store.invalidate(token: s.token) } }
                    try await group.waitForAll()
                }
                let db = try await f.connection.query(
                    "SELECT invalidated, \"activeOrderId\" FROM session WHERE id = \(s.id)")[0].decode((Bool, Int?).self)
                let found = try await f.store.session(forToken: s.token)
                if round % 2 == 0 {
                    #expect(db.0 && found == nil && !f.cache.contains(s.cacheKey), "round \(round)")
                } else {
                    #expect(!db.0 && found?.activeOrderId == db.1, "round \(round)")
                }
            }
        }
    }

    @Test func tokensNeverAppearInLogs() async throws {
        let storage = CapturingLogHandler.Storage()
        var logger = Logger(label: "test") { _ in CapturingLogHandler(storage: storage) }
        logger.logLevel = .trace
        var tokens: [String] = []
        try await Fixture.withStore(duration: .seconds(10), logger: logger) { f in
            let user = try await f.makeUser("frank@example.com")
            let order = try await f.makeOrder("ORD-L")
            // A second connection on the schema that logs too, through the same handler.
            let logged = try await TestDatabase.connect(schema: f.schema, logger: logger)
            let store = SessionStore(database: logged, cache: f.cache, clock: f.clock,
                                     configuration: f.store.configuration, logger: logger)
            let a = try await store.createAnonymousSession()
            let b = try await store.createAuthenticatedSession(user: user, activeOrder: order)
            tokens = [a.token, b.token]
            _ = try await store.setActiveOrder(order, forToken: a.token)
            f.clock.advance(by: 6)
            _ = try await store.session(forToken: a.token)
            _ = try await store.session(forToken: b.token)
            try await store.invalidate(token: a.token)
            _ = try await store.deleteSessions(forUser: user)
            _ = try? await logged.query("SELECT token::int FROM session")  // a failing query gets logged
            f.clock.advance(by: 60)
            _ = try await store.cleanExpiredSessions()
            await logged.close()
        }
        let text = storage.all
        #expect(storage.count > 0)
        for token in tokens {
            #expect(!text.contains(token))
            #expect(!text.contains(String(token.prefix(32))))
        }
    }
}

final class BatchRecorder: Sendable {
    private let values = Mutex<[(Int, Int)]>([])
    func record(_ total: Int, _ batch: Int) { values.withLock { $0.append((total, batch)) } }
    var all: [(Int, Int)] { values.withLock { $0 } }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
