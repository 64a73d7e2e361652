import Foundation
import Sessions
import Testing

/// Whatever prints a session (`description`, `String(reflecting:)`, `dump`, a `Mirror`) shows a prefix of
/// its token, never the whole token.
struct SessionRedactionTests {
    private static func session(token: String) -> CachedSession {
        var user = User(identifier: "alice@example.com", verified: true)
        user.id = 5
        var order = Order(code: "ORD-1", state: "AddingItems")
        order.id = 3
        var channel = Channel(code: "__default_channel__", token: "channel-token")
        channel.id = 1
        return CachedSession(
            id: 7, token: token, expires: Date(timeIntervalSince1970: 1_750_000_000), kind: .authenticated,
            activeOrderId: 3, activeChannelId: 1, authenticationStrategy: "native", user: user, activeOrder: order,
            activeChannel: channel)
    }

    @Test func dumpShowsTheTokenPrefixOnly() {
        let token = SessionToken.generate()
        let session = Self.session(token: token)
        var dumped = ""
        dump(session, to: &dumped)
        #expect(!dumped.contains(token))
        #expect(dumped.contains(String(token.prefix(8)) + "…"))
        // The other fields are all there.
        for part in ["id: 7", "alice@example.com", "ORD-1", "__default_channel__", "native", "authenticated"] {
            #expect(dumped.contains(part), "\(part) in \(dumped)")
        }
        // Nor does any route that reflects on a session, alone or inside other values.
        #expect(!"\(session)".contains(token) && !String(reflecting: session).contains(token))
        var nested = ""
        dump([Optional(session)], to: &nested)
        #expect(!nested.contains(token) && nested.contains(String(token.prefix(8))))
        #expect(!"\([session])".contains(token) && !String(reflecting: [session]).contains(token))
        // Nor the entity it holds, printed or dumped on its own.
        var entity = ""
        dump(session.entity, to: &entity)
        #expect(!entity.contains(token) && !"\(session.entity)".contains(token) && !"\(session.session)".contains(token))
        #expect(!String(reflecting: session.session).contains(token) && entity.contains(String(token.prefix(8))))
    }

    @Test func theMirrorHasEveryStoredPropertyWithTheTokenCut() throws {
        let token = SessionToken.generate()
        let mirror = Mirror(reflecting: Self.session(token: token))
        let labels = mirror.children.compactMap(\.label)
        #expect(labels == [
            "id", "token", "expires", "kind", "activeOrderId", "activeChannelId", "authenticationStrategy", "user",
            "activeOrder", "activeChannel", "customFields",
        ])
        let shown = try #require(mirror.children.first { $0.label == "token" }?.value as? String)
        #expect(shown == SessionToken.redacted(token) && shown.count == 9)
    }

    @Test func theTokenPropertyStillHoldsTheWholeToken() {
        let token = SessionToken.generate()
        #expect(Self.session(token: token).token == token)
    }
}
