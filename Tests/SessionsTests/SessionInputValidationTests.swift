import Foundation
import LibPQ
import Sessions
import Synchronization
import Testing

/// Out-of-range arguments and settings are typed errors (`SessionStoreError`), thrown before anything
/// reaches the database, where they used to trap or to loop without waiting.
struct SessionInputValidationTests {
    /// A database that counts the statements it is given and fails them all.
    final class RefusingDatabase: PostgresQueryable {
        let calls = Atomic<Int>(0)

        func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
            calls.add(1, ordering: .relaxed)
            throw PostgresError(code: .closed, message: "this test database refuses every statement")
        }

        func execute(script: String, timeout: Duration?) async throws {
            calls.add(1, ordering: .relaxed)
            throw PostgresError(code: .closed, message: "this test database refuses every statement")
        }
    }

    private func expectError(
        _ code: SessionStoreError.Code, naming name: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: SessionStoreError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == code, sourceLocation: sourceLocation)
        #expect(error?.name == name, sourceLocation: sourceLocation)
        #expect(error?.description.hasPrefix("SessionStoreError(\(code)): \(name) ") == true, sourceLocation: sourceLocation)
    }

    @Test(arguments: [0, -1, Int.min])
    func cleanupWithABatchSizeBelowOneThrowsAndSendsNothing(_ batchSize: Int) async {
        let database = RefusingDatabase()
        let store = SessionStore(database: database, cache: NoSessionCache())
        await expectError(.invalidArgument, naming: "batchSize") { _ = try await store.cleanExpiredSessions(batchSize: batchSize) }
        #expect(database.calls.load(ordering: .relaxed) == 0)
    }

    @Test(arguments: [0, -1, Int.min])
    func aCacheWithACapacityBelowOneIsAnError(_ capacity: Int) async {
        await expectError(.invalidArgument, naming: "capacity") { _ = try InMemorySessionCache(capacity: capacity) }
    }

    @Test(arguments: [Duration.zero, .seconds(-1)])
    func aCacheWithATTLNotPositiveIsAnError(_ ttl: Duration) async {
        await expectError(.invalidArgument, naming: "ttl") { _ = try InMemorySessionCache(capacity: 10, ttl: ttl) }
    }

    @Test func theDefaultCacheNeedsNoTry() {
        let cache = InMemorySessionCache()
        #expect(cache.capacity == 10_000 && cache.ttl == .seconds(300))
        #expect(InMemorySessionCache(clock: ManualSessionClock()).capacity == InMemorySessionCache.defaultCapacity)
    }

    @Test(arguments: [(0, Duration.seconds(60), "batchSize"), (-3, .seconds(60), "batchSize"), (10, .zero, "interval"), (10, .seconds(-5), "interval")])
    func theCleanupServiceRefusesToRunWithABadBatchSizeOrInterval(_ batchSize: Int, _ interval: Duration, _ name: String) async {
        let database = RefusingDatabase()
        let store = SessionStore(database: database, cache: NoSessionCache())
        let service = SessionCleanupService(store: store, interval: interval, batchSize: batchSize, clock: ContinuousClock())
        // Returns at once (a bad interval used to make a loop that never waits).
        await expectError(.invalidArgument, naming: name) { try await service.run() }
        #expect(database.calls.load(ordering: .relaxed) == 0)
    }

    @Test(arguments: [(Duration.zero, Duration.seconds(5), "reconnectDelay"), (.seconds(1), .seconds(-1), "healthCheckInterval")])
    func theInvalidationListenerRefusesToRunWithoutAWait(_ delay: Duration, _ check: Duration, _ name: String) async {
        let store = SessionStore(database: RefusingDatabase(), cache: NoSessionCache())
        let connects = Atomic<Int>(0)
        let listener = SessionInvalidationListener(store: store, reconnectDelay: delay, healthCheckInterval: check) {
            connects.add(1, ordering: .relaxed)
            throw PostgresError(code: .connection, message: "no server in this test")
        }
        await expectError(.invalidArgument, naming: name) { try await listener.run() }
        #expect(connects.load(ordering: .relaxed) == 0)
    }

    /// Invalid settings, by the name of the setting, and the value each case gives it.
    enum BadSetting: String, CaseIterable, Sendable {
        case zeroDuration, negativeDuration, negativeIdleTimeout, zeroIdleTimeout, negativeCacheTimeout, zeroQueryTimeout

        var name: String {
            switch self {
            case .zeroDuration, .negativeDuration: "sessionDuration"
            case .negativeIdleTimeout, .zeroIdleTimeout: "anonymousIdleTimeout"
            case .negativeCacheTimeout: "cacheTimeout"
            case .zeroQueryTimeout: "queryTimeout"
            }
        }

        func apply(to c: inout SessionStore.Configuration) {
            switch self {
            case .zeroDuration: c.sessionDuration = .zero
            case .negativeDuration: c.sessionDuration = .seconds(-1)
            case .negativeIdleTimeout: c.anonymousIdleTimeout = .seconds(-86_400)
            case .zeroIdleTimeout: c.anonymousIdleTimeout = .zero
            case .negativeCacheTimeout: c.cacheTimeout = .milliseconds(-1)
            case .zeroQueryTimeout: c.queryTimeout = .zero
            }
        }
    }

    @Test(arguments: BadSetting.allCases)
    func anInvalidConfigurationFailsEveryOperationBeforeAnyQuery(_ bad: BadSetting) async {
        let name = bad.name
        var configuration = SessionStore.Configuration()
        bad.apply(to: &configuration)
        await expectError(.invalidConfiguration, naming: name) { try configuration.validate() }
        let database = RefusingDatabase()
        let store = SessionStore(database: database, cache: NoSessionCache(), configuration: configuration)
        let token = SessionToken.generate()
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.createAnonymousSession() }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.session(forToken: token) }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.setActiveOrder(1, forToken: token) }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.invalidate(token: token) }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.deleteSessions(forUser: 1) }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.deleteOrder(id: 1) }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.cleanExpiredSessions() }
        await expectError(.invalidConfiguration, naming: name) { _ = try await store.databaseStatistics() }
        let service = SessionCleanupService(store: store, clock: ContinuousClock())
        await expectError(.invalidConfiguration, naming: name) { try await service.run() }
        #expect(database.calls.load(ordering: .relaxed) == 0)
    }

    @Test func theDefaultConfigurationIsValid() throws {
        try SessionStore.Configuration().validate()
        var configuration = SessionStore.Configuration()
        configuration.anonymousIdleTimeout = nil
        configuration.queryTimeout = .seconds(5)
        configuration.cacheTimeout = .zero
        try configuration.validate()
    }

    @Test func theDefaultSessionDurationIsVendures1yOf365Point25Days() {
        // Vendure's `sessionDuration: '1y'` goes through the `ms` package, where y = 365.25 days.
        let duration = SessionStore.Configuration().sessionDuration
        #expect(duration == .seconds(31_557_600))
        #expect(duration == SessionStore.Configuration.vendureDefaultSessionDuration)
        #expect(duration.components.seconds == 365 * 86_400 + 6 * 3_600)
    }
}
