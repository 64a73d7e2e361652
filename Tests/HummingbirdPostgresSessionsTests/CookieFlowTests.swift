#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Testing
import TestSupport

/// The cookie flow over a real socket: a session is created only when a route asks for one, its token
/// travels in an HttpOnly, SameSite=Lax cookie whose Max-Age is the session's remaining life, and the
/// cookie is sent again when a lookup renews the session.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct CookieFlowTests {
    @Test func readingTheSessionCreatesNoRowAndSetsNoCookie() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let response = try await client.send(.get, "/session")
                #expect(response.status == .ok)
                #expect(response.text.contains(#""session":null"#))
                #expect(response.setCookies.isEmpty)
            }
            #expect(try await db.sessionCount() == 0)
        }
    }

    @Test func aRouteThatNeedsASessionCreatesOneAndSendsItsCookie() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let created = try await client.send(.put, "/active-order/CART-1")
                #expect(created.status == .ok)
                let cookie = try #require(created.sessionCookie)
                #expect(isSessionToken(cookie.value))
                #expect(cookie.attributes["httponly"] != nil)
                #expect(cookie.attributes["samesite"] == "Lax")
                #expect(cookie.attributes["path"] == "/")
                #expect(cookie.attributes["secure"] == nil)
                let maxAge = try #require(cookie.maxAge)
                #expect((yearInSeconds - 120)...yearInSeconds ~= maxAge)
                #expect(created.session?["kind"] as? String == "anonymous")
                #expect(created.session?["activeOrder"] as? String == "CART-1")
                #expect(created.text.contains(cookie.value) == false, "the token never goes in a body")

                let again = try await client.send(.get, "/session", cookie: cookie.value)
                #expect(again.session?["activeOrder"] as? String == "CART-1")
                #expect(again.session?["id"] as? Int == created.session?["id"] as? Int)
                #expect(again.setCookies.isEmpty, "a lookup that renews nothing sets no cookie")

                // A second order on the same session: still one session row.
                let second = try await client.send(.put, "/active-order/CART-2", cookie: cookie.value)
                #expect(second.session?["activeOrder"] as? String == "CART-2")
                #expect(second.setCookies.isEmpty)
            }
            #expect(try await db.sessionCount() == 1)
        }
    }

    @Test func secureCookieWhenConfigured() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront { $0.sessions.cookie.secure = true }
            try await storefront.application.test(.live) { client in
                let cookie = try #require(try await client.send(.put, "/active-order/S-1").sessionCookie)
                #expect(cookie.attributes["secure"] != nil)
            }
        }
    }

    @Test func aLookupThatRenewsTheSessionSendsTheCookieAgain() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let token = try #require(try await client.send(.put, "/active-order/R-1").sessionCookie?.value)
                // One day left of a year: past half-life, so the next lookup renews it.
                try await db.connection.query("""
                    UPDATE session SET expires = (now() AT TIME ZONE 'UTC') + interval '1 day' WHERE token = \(token)
                    """)
                storefront.cache.removeAll()
                let renewed = try await client.send(.get, "/session", cookie: token)
                #expect(renewed.session != nil)
                let cookie = try #require(renewed.sessionCookie)
                #expect(cookie.value == token)
                #expect((yearInSeconds - 120)...yearInSeconds ~= (cookie.maxAge ?? 0))
                let row = try #require(try await db.row(token: token))
                #expect(row.expires.timeIntervalSinceNow > Double(yearInSeconds - 120))
            }
        }
    }
}
#endif
