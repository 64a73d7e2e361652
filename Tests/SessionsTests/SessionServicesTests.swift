import Foundation
import LibPQ
import Logging
import ServiceLifecycle
import Sessions
import Synchronization
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct SessionServicesTests {
    /// Store B, on its own connection and cache, with a listener on a third connection.
    struct Peer {
        let store: SessionStore
        let cache: InMemorySessionCache
        let listener: SessionInvalidationListener
        let connection: PostgresConnection
    }

    func makePeer(_ f: StoreFixture, applicationName: String) async throws -> Peer {
        let connection = try await TestDatabase.connect(schema: f.schema)
        let cache = InMemorySessionCache(clock: f.clock)
        let store = SessionStore(database: connection, cache: cache, clock: f.clock, configuration: f.store.configuration)
        let listener = SessionInvalidationListener(
            store: store, reconnectDelay: .milliseconds(50), healthCheckInterval: .milliseconds(100)
        ) {
            try await TestDatabase.connect { $0.applicationName = applicationName }
        }
        return Peer(store: store, cache: cache, listener: listener, connection: connection)
    }

    @Test func anotherStoresCachedCopyIsEvictedWithin100ms() async throws {
        try await Fixture.withStore { f in
            let name = "listener-\(f.schema)"
            let b = try await makePeer(f, applicationName: name)
            let task = Task { try await b.listener.run() }
            #expect(await waitUntil(within: .seconds(10)) { b.listener.isListening } != nil)

            let order = try await f.makeOrder("ORD-X")
            for change in Change.allCases {
                try await checkEviction(change, f: f, b: b, order: order)
            }
            // A's own cache is not emptied by its own notifications (no listener on A), and B ignores its own.
            let mine = try await b.store.createAnonymousSession()
            _ = try await b.store.setActiveOrder(order, forToken: mine.token)
            _ = try await b.store.session(forToken: mine.token)
            // A barrier instead of a wait: A's change commits after B's, so B's listener (one connection, which
            // gets notifications in commit order) has handled B's own by the time it evicts A's.
            let later = try await f.store.createAnonymousSession()
            _ = try await b.store.session(forToken: later.token)
            try await f.store.invalidate(token: later.token)
            #expect(await waitUntil(within: .seconds(2)) { !b.cache.contains(later.cacheKey) } != nil)
            #expect(b.cache.contains(mine.cacheKey))
            #expect(b.store.statistics.remoteEvictions == 4)
            task.cancel()
            _ = await task.result
            await b.connection.close()
        }
    }

    enum Change: CaseIterable { case invalidate, setActiveOrder, deleteSessions }

    func checkEviction(_ change: Change, f: StoreFixture, b: Peer, order: Int) async throws {
        let user = try await f.makeUser("\(change)@example.com")
        let s = try await f.store.createAuthenticatedSession(user: user)
        let cachedByB = try await b.store.session(forToken: s.token)
        #expect(cachedByB != nil && b.cache.contains(s.cacheKey))
        let start = ContinuousClock.now
        switch change {
        case .invalidate: try await f.store.invalidate(token: s.token)
        case .setActiveOrder: _ = try await f.store.setActiveOrder(order, forToken: s.token)
        case .deleteSessions: try await f.store.deleteSessions(forUser: user)
        }
        let key = s.cacheKey
        let cache = b.cache
        let evicted = await waitUntil(within: .seconds(2)) { !cache.contains(key) }
        let elapsed = ContinuousClock.now - start
        #expect(evicted != nil && elapsed < .milliseconds(100), "\(change): evicted after \(elapsed)")
        let seen = try await b.store.session(forToken: s.token)
        if change == .setActiveOrder {
            #expect(seen?.activeOrderId == order)
        } else {
            #expect(seen == nil)
        }
    }

    @Test func theListenerListensAgainAfterItsConnectionIsKilled() async throws {
        try await Fixture.withStore { f in
            let name = "listener-\(f.schema)"
            let b = try await makePeer(f, applicationName: name)
            let task = Task { try await b.listener.run() }
            #expect(await waitUntil(within: .seconds(10)) { b.listener.isListening } != nil)
            let before = try await f.store.createAnonymousSession()
            _ = try await b.store.session(forToken: before.token)
            #expect(b.cache.contains(before.cacheKey))

            try await f.connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(name)")
            #expect(await waitUntil(within: .seconds(10)) { b.listener.connectionCount == 2 && b.listener.isListening } != nil)
            // Reconnecting cleared the cache: what changed in between was not heard.
            #expect(!b.cache.contains(before.cacheKey))

            let s = try await f.store.createAnonymousSession()
            _ = try await b.store.session(forToken: s.token)
            try await f.store.invalidate(token: s.token)
            #expect(await waitUntil(within: .seconds(2)) { !b.cache.contains(s.cacheKey) } != nil)
            task.cancel()
            _ = await task.result
            await b.connection.close()
        }
    }

    @Test func theListenerStopsOnGracefulShutdown() async throws {
        try await Fixture.withStore { f in
            let b = try await makePeer(f, applicationName: "listener-\(f.schema)")
            let group = ServiceGroup(services: [b.listener], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            let task = Task { try await group.run() }
            #expect(await waitUntil(within: .seconds(10)) { b.listener.isListening } != nil)
            await group.triggerGracefulShutdown()
            try await task.value
            #expect(!b.listener.isListening)
            await b.connection.close()
        }
    }

    @Test func theCleanupServiceRunsOnItsClockAndStopsOnGracefulShutdown() async throws {
        try await Fixture.withStore(duration: .seconds(60)) { f in
            let clock = TestClock()
            let passes = Mutex<[Int]>([])
            let service = SessionCleanupService(store: f.store, interval: .seconds(600), batchSize: 10, clock: clock) { n in
                passes.withLock { $0.append(n) }
            }
            let group = ServiceGroup(services: [service], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            for _ in 0..<25 { _ = try await f.store.createAnonymousSession() }
            f.clock.advance(by: 61)
            let task = Task { try await group.run() }
            // The first pass runs at once, then the service sleeps on the test clock.
            #expect(await waitUntil(within: .seconds(10)) { passes.withLock { $0 } == [25] && clock.sleeperCount == 1 } != nil)
            for _ in 0..<5 { _ = try await f.store.createAnonymousSession() }
            f.clock.advance(by: 61)
            clock.advance(by: .seconds(599))
            // Not yet: `advance` resumes due sleepers before it returns, and the service's is still registered.
            #expect(clock.sleeperCount == 1)
            #expect(passes.withLock { $0 } == [25])
            clock.advance(by: .seconds(1))
            #expect(await waitUntil(within: .seconds(10)) { passes.withLock { $0 } == [25, 5] && clock.sleeperCount == 1 } != nil)
            await group.triggerGracefulShutdown()
            try await task.value
            #expect(passes.withLock { $0 } == [25, 5])
        }
    }

    @Test func aSlowOrFailingCacheNeverFailsALookup() async throws {
        for behaviour in [FaultyCache.Behaviour.hang, .fail] {
            try await Fixture.withStore { f in
                let cache = FaultyCache(behaviour: behaviour)
                var configuration = f.store.configuration
                configuration.cacheTimeout = .milliseconds(50)
                let store = SessionStore(database: f.connection, cache: cache, clock: f.clock, configuration: configuration)
                let start = ContinuousClock.now
                let s = try await store.createAnonymousSession()
                #expect(try await store.session(forToken: s.token)?.id == s.id)
                try await store.invalidate(token: s.token)
                #expect(try await store.session(forToken: s.token) == nil)
                let elapsed = ContinuousClock.now - start
                #expect(store.statistics.cacheErrors >= 4)
                // Each call waited at most the timeout (two lookups, set, delete...: well under 2 s).
                #expect(elapsed < .seconds(2), "\(behaviour): \(elapsed)")
            }
        }
    }
}

/// A cache that hangs (ignoring cancellation) or throws.
struct FaultyCache: SessionCacheStrategy {
    enum Behaviour: Sendable { case hang, fail }
    struct Failure: Error {}
    let behaviour: Behaviour

    func misbehave() async throws {
        switch behaviour {
        case .fail: throw Failure()
        case .hang:
            // Ignores cancellation on purpose (without spinning): the store must not wait for it.
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + 5) { c.resume() }
            }
        }
    }

    func get(_ key: SessionCacheKey) async throws -> CachedSession? {
        try await misbehave()
        return nil
    }
    func set(_ session: CachedSession, for key: SessionCacheKey) async throws { try await misbehave() }
    func delete(_ key: SessionCacheKey) async throws { try await misbehave() }
    func clear() async throws { try await misbehave() }
}
