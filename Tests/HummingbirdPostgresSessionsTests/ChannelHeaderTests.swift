#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StorefrontExample
import Testing
import TestSupport

/// The channel token (`vendure-token` header or query parameter) sets the session's active channel when
/// it names another channel; an unknown channel token is a bad request.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ChannelHeaderTests {
    static let channelHeader = HTTPField.Name("vendure-token")!

    @Test func theChannelHeaderMovesTheSessionToThatChannel() async throws {
        try await HTTPFixture.withDatabase { db in
            let uk = try await db.channelID("uk-store")
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let created = try await client.send(
                    .put, "/active-order/CH-1", headers: [Self.channelHeader: StorefrontDatabase.ukChannelToken])
                let token = try #require(created.sessionCookie?.value)
                #expect(created.session?["activeChannel"] as? String == "uk-store", "a new session starts in the request's channel")
                #expect(try await db.row(token: token)?.activeChannelId == uk)

                let moved = try await client.send(
                    .get, "/session", cookie: token, headers: [Self.channelHeader: StorefrontDatabase.defaultChannelToken])
                #expect(moved.session?["activeChannel"] as? String == "__default_channel__")
                #expect(try await db.row(token: token)?.activeChannelId == (try await db.channelID("__default_channel__")))

                let viaQuery = try await client.send(.get, "/session?vendure-token=\(StorefrontDatabase.ukChannelToken)", cookie: token)
                #expect(viaQuery.session?["activeChannel"] as? String == "uk-store")

                // No channel token: the session keeps its channel.
                let unchanged = try await client.send(.get, "/session", cookie: token)
                #expect(unchanged.session?["activeChannel"] as? String == "uk-store")
            }
        }
    }

    @Test func anUnknownChannelTokenIsABadRequestAndChangesNothing() async throws {
        try await HTTPFixture.withDatabase { db in
            let storefront = db.storefront()
            try await storefront.application.test(.live) { client in
                let token = try #require(try await client.send(.put, "/active-order/CH-2").sessionCookie?.value)
                let before = try await db.row(token: token)?.activeChannelId
                let response = try await client.send(.get, "/session", cookie: token, headers: [Self.channelHeader: "no-such-channel"])
                #expect(response.status == .badRequest)
                #expect(response.text == "Unknown channel token.\n")
                #expect(try await db.row(token: token)?.activeChannelId == before)
            }
        }
    }
}
#endif
