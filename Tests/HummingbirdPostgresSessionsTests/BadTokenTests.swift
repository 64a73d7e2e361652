#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Malformed, unknown, expired and invalidated tokens all mean "no session": the page answers as for a
/// visitor without one, the client is told to drop the cookie, and a malformed token costs no query.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct BadTokenTests {
    @Test(arguments: [
        "not-a-token", "' OR 1=1 --", String(repeating: "a", count: 65), String(repeating: "A", count: 64),
        String(repeating: "g", count: 64), String(repeating: "0", count: 10_000),
    ])
    func aMalformedTokenIsNoSessionAndCostsNoQuery(token: String) async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let before = storefront.store.statistics
                let response = try await client.send(.get, "/session", cookie: token)
                #expect(response.status == .ok)
                #expect(response.text.contains(#""session":null"#))
                #expect(response.sessionCookie?.maxAge == 0, "the client is told to drop the cookie")
                let after = storefront.store.statistics
                #expect(after.queries == before.queries)
                #expect(after.malformedTokens == before.malformedTokens + 1)
                #expect(try await client.send(.get, "/me", cookie: token).status == .unauthorized)
            }
        }
    }

    @Test func anUnknownTokenIsNoSession() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let before = storefront.store.statistics.databaseLookups
                let response = try await client.send(.get, "/session", cookie: String(repeating: "ab", count: 32))
                #expect(response.text.contains(#""session":null"#))
                #expect(response.sessionCookie?.maxAge == 0)
                #expect(storefront.store.statistics.databaseLookups == before + 1)
            }
        }
    }

    @Test func anExpiredTokenIsNoSession() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let token = try #require(try await client.logIn("alice@example.com").sessionCookie?.value)
                try await db.connection.query("""
                    UPDATE session SET expires = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE token = \(token)
                    """)
                storefront.cache.removeAll()
                let response = try await client.send(.get, "/session", cookie: token)
                #expect(response.text.contains(#""session":null"#))
                #expect(response.sessionCookie?.maxAge == 0)
                #expect(try await client.send(.get, "/me", cookie: token).status == .unauthorized)
            }
        }
    }

    @Test func aTokenInvalidatedInTheDatabaseIsNoSession() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let token = try #require(try await client.logIn("alice@example.com").sessionCookie?.value)
                try await db.connection.query("UPDATE session SET invalidated = true WHERE token = \(token)")
                storefront.cache.removeAll()
                #expect(try await client.send(.get, "/me", cookie: token).status == .unauthorized)
            }
        }
    }
}
#endif
