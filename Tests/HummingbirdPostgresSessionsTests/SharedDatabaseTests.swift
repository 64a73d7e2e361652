#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Two server processes' worth of state (two applications, each with its own pool, store, cache and
/// listener) on one database: a logout on one is seen by the other, which had the session cached, within
/// 100 ms, through the store's NOTIFY and the other's invalidation listener.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct SharedDatabaseTests {
    @Test func aLogoutOnOneServerIsSeenByTheOtherWithin100ms() async throws {
        try await HTTPFixture.withDatabase { db in
            let a = db.storefront()
            let b = db.storefront()
            try await a.application.test(.live) { clientA in
                try await b.application.test(.live) { clientB in
                    let listening = await waitUntil(within: .seconds(10)) { a.listener.isListening && b.listener.isListening }
                    try #require(listening != nil, "both invalidation listeners are listening")

                    let token = try #require(try await clientA.logIn("alice@example.com").sessionCookie?.value)
                    #expect(try await clientB.send(.get, "/me", cookie: token).status == .ok)
                    let hits = b.store.statistics.cacheHits
                    #expect(try await clientB.send(.get, "/me", cookie: token).status == .ok)
                    #expect(b.store.statistics.cacheHits == hits + 1, "B answers from its cache")

                    #expect(try await clientA.send(.post, "/logout", cookie: token).status == .ok)
                    let seen = try await waitUntil(within: .seconds(2), every: .milliseconds(1)) {
                        try await clientB.send(.get, "/me", cookie: token).status == .unauthorized
                    }
                    let elapsed = try #require(seen, "B never saw the logout")
                    #expect(elapsed < .milliseconds(100), "B saw the logout after \(elapsed)")
                    #expect(b.store.statistics.remoteEvictions >= 1)
                }
            }
        }
    }
}
#endif
