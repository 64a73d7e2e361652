#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// Login replaces the session (the anonymous session's active order moves over, the anonymous session is
/// invalidated, as Vendure does); logout invalidates it and clears the cookie; `GET /me` is guarded.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct LoginLogoutTests {
    @Test func loginMovesTheActiveOrderAndInvalidatesTheAnonymousSession() async throws {
        try await HTTPFixture.withDatabase { db in
            let logs = CapturedLogs()
            let storefront = db.storefront(logs: logs)
            try await storefront.application.test(.live) { client in
                let anonymous = try #require(try await client.send(.put, "/active-order/LOGIN-1").sessionCookie?.value)

                let login = try await client.logIn("alice@example.com", cookie: anonymous)
                #expect(login.status == .ok)
                let cookie = try #require(login.sessionCookie)
                #expect(isSessionToken(cookie.value) && cookie.value != anonymous)
                #expect(cookie.attributes["httponly"] != nil)
                #expect(login.session?["kind"] as? String == "authenticated")
                #expect(login.session?["user"] as? String == "alice@example.com")
                #expect(login.session?["activeOrder"] as? String == "LOGIN-1")
                #expect(login.session?["authenticationStrategy"] as? String == "native")
                #expect(try await db.row(token: anonymous)?.invalidated == true)

                // The old token is no session any more, and the client is told to drop it.
                let old = try await client.send(.get, "/session", cookie: anonymous)
                #expect(old.text.contains(#""session":null"#))
                #expect(old.sessionCookie?.value == "")
                #expect(old.sessionCookie?.maxAge == 0)

                let me = try await client.send(.get, "/me", cookie: cookie.value)
                #expect(me.status == .ok)
                #expect(me.json?["identifier"] as? String == "alice@example.com")

                // Neither token nor password in the logs (trace level, everything the server logged).
                let text = logs.all
                #expect(!text.isEmpty)
                #expect(!text.contains(anonymous) && !text.contains(cookie.value) && !text.contains("alice-password"))
            }
        }
    }

    @Test func wrongCredentialsAnswer401AndCreateNoSession() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let response = try await client.logIn("alice@example.com", password: "guess")
                #expect(response.status == .unauthorized)
                #expect(response.setCookies.isEmpty)
                #expect(try await client.logIn("mallory@example.com", password: "x").status == .unauthorized)
            }
            #expect(try await db.sessionCount() == 0)
        }
    }

    @Test func logoutInvalidatesTheSessionAndClearsTheCookie() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let token = try #require(try await client.logIn("alice@example.com").sessionCookie?.value)
                #expect(try await client.send(.get, "/me", cookie: token).status == .ok)

                let logout = try await client.send(.post, "/logout", cookie: token)
                #expect(logout.status == .ok)
                let cleared = try #require(logout.sessionCookie)
                #expect(cleared.value == "" && cleared.maxAge == 0)
                #expect(try await db.row(token: token)?.invalidated == true)

                #expect(try await client.send(.get, "/me", cookie: token).status == .unauthorized)
                #expect(try await client.send(.get, "/session", cookie: token).text.contains(#""session":null"#))
            }
        }
    }

    @Test func theGuardAnswers401WithoutALoginAnd403WhenTheCheckRefuses() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let none = try await client.send(.get, "/me")
                #expect(none.status == .unauthorized)
                #expect(none.text == "Authentication required.\n")

                let anonymous = try #require(try await client.send(.put, "/active-order/G-1").sessionCookie?.value)
                #expect(try await client.send(.get, "/me", cookie: anonymous).status == .unauthorized)

                // bob has not verified his address: the route's check refuses him.
                let bob = try #require(try await client.logIn("bob@example.com").sessionCookie?.value)
                let forbidden = try await client.send(.get, "/me", cookie: bob)
                #expect(forbidden.status == .forbidden)
                #expect(forbidden.text == "Forbidden.\n")

                let alice = try #require(try await client.logIn("alice@example.com").sessionCookie?.value)
                #expect(try await client.send(.get, "/me", cookie: alice).status == .ok)
            }
        }
    }
}
#endif
