#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdPostgresSessions
import HummingbirdTesting
import Testing
import TestSupport

/// Bearer mode (Vendure's `tokenMethod: 'bearer'`): the token comes in `Authorization: Bearer`, and a new
/// or replaced session's token goes out in `vendure-auth-token`; no cookie either way.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct BearerFlowTests {
    static let authToken = HTTPField.Name("vendure-auth-token")!

    @Test func tokensTravelInHeadersOnly() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront { $0.sessions.tokenMethods = .bearer }
            try await storefront.application.test(.live) { client in
                let created = try await client.send(.put, "/active-order/B-1")
                #expect(created.status == .ok)
                #expect(created.setCookies.isEmpty)
                let token = try #require(created.headers[Self.authToken])
                #expect(isSessionToken(token))

                let found = try await client.send(.get, "/session", bearer: token)
                #expect(found.session?["activeOrder"] as? String == "B-1")
                #expect(found.headers[Self.authToken] == nil, "an unchanged session sends no token")

                // Any case of the scheme, surrounding white space.
                let lower = try await client.send(.get, "/session", headers: [.authorization: "  bearer \(token) "])
                #expect(lower.session?["activeOrder"] as? String == "B-1")

                // Cookies are not accepted in bearer mode.
                let viaCookie = try await client.send(.get, "/session", cookie: token)
                #expect(viaCookie.text.contains(#""session":null"#))

                let login = try await client.logIn("alice@example.com", bearer: token)
                #expect(login.status == .ok)
                let replaced = try #require(login.headers[Self.authToken])
                #expect(isSessionToken(replaced) && replaced != token)
                #expect(login.session?["activeOrder"] as? String == "B-1")

                let logout = try await client.send(.post, "/logout", bearer: replaced)
                #expect(logout.headers[Self.authToken] == "", "Vendure sends an empty token on logout")
                #expect(try await client.send(.get, "/me", bearer: replaced).status == .unauthorized)
            }
        }
    }

    @Test func withBothMethodsTheCookieWinsAndNewTokensGoOutBothWays() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront { $0.sessions.tokenMethods = [.cookie, .bearer] }
            try await storefront.application.test(.live) { client in
                let first = try await client.send(.put, "/active-order/BOTH-1")
                let cookieToken = try #require(first.sessionCookie?.value)
                #expect(first.headers[Self.authToken] == cookieToken)
                let second = try await client.send(.put, "/active-order/BOTH-2")
                let bearerToken = try #require(second.headers[Self.authToken])

                let both = try await client.send(.get, "/session", cookie: cookieToken, bearer: bearerToken)
                #expect(both.session?["activeOrder"] as? String == "BOTH-1")
                let bearerOnly = try await client.send(.get, "/session", bearer: bearerToken)
                #expect(bearerOnly.session?["activeOrder"] as? String == "BOTH-2")
            }
        }
    }
}
#endif
