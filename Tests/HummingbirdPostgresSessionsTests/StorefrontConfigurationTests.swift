#if Hummingbird
import Foundation
import HummingbirdTesting
import StorefrontExample
import Testing
import TestSupport

/// `SESSION_CACHE` (scripts/bench-http runs the storefront with the cache off and on).
struct StorefrontConfigurationTests {
    @Test func theSessionCacheIsOnUnlessTurnedOff() throws {
        #expect(try StorefrontConfiguration.fromEnvironment([:]).sessionCache)
        #expect(try StorefrontConfiguration.fromEnvironment(["SESSION_CACHE": "on"]).sessionCache)
        #expect(try !StorefrontConfiguration.fromEnvironment(["SESSION_CACHE": "off"]).sessionCache)
        #expect(try !StorefrontConfiguration.fromEnvironment(["SESSION_CACHE": "0"]).sessionCache)
        #expect(throws: StorefrontConfigurationError.self) { try StorefrontConfiguration.fromEnvironment(["SESSION_CACHE": "sometimes"]) }
    }

    @Test(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
    func withTheCacheOffEveryLookupReadsTheDatabase() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront {
                $0.sessions.tokenMethods = .bearer
                $0.sessionCache = false
            }
            try await storefront.application.test(.live) { client in
                let created = try await client.send(.put, "/active-order/NOCACHE-1")
                let token = try #require(created.headers[BearerFlowTests.authToken])
                for _ in 0..<3 {
                    let found = try await client.send(.get, "/session", bearer: token)
                    #expect(found.session?["activeOrder"] as? String == "NOCACHE-1")
                }
            }
            let statistics = storefront.store.statistics
            #expect(statistics.cacheHits == 0)
            #expect(statistics.databaseLookups >= 3)
            #expect(storefront.cache.statistics.count == 0)
        }
    }
}
#endif
