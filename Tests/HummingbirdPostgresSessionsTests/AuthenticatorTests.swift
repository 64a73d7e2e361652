#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdPostgresSessions
import HummingbirdTesting
import LibPQ
import Logging
import Sessions
import Testing
import TestSupport

/// HummingbirdAuth interop: `PostgresSessionAuthenticator` turns an authenticated session into
/// `context.identity`, so HummingbirdAuth's own `IsAuthenticatedMiddleware` and `requireIdentity()` work.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct AuthenticatorTests {
    struct AuthContext: PostgresSessionRequestContext, AuthRequestContext {
        var coreContext: CoreRequestContextStorage
        var identity: String?
        let sessions = PostgresSessionContext()

        init(source: Source) {
            coreContext = .init(source: source)
            identity = nil
        }
    }

    @Test func anAuthenticatedSessionBecomesHummingbirdAuthsIdentity() async throws {
        try await HTTPFixture.withDatabase { db in
            let alice = try await db.connection.query(
                "SELECT id FROM \"user\" WHERE identifier = 'alice@example.com'")[0].decode(Int.self, at: 0)
            let pool = PostgresPool(connection: db.configuration)
            let store = SessionStore(database: pool)
            let router = Router(context: AuthContext.self)
            router.add(middleware: PostgresSessionMiddleware(store: store))
            router.add(middleware: PostgresSessionAuthenticator { session, _ in session.user?.identifier })
            router.post("login") { _, context in
                try await context.sessions.logIn(userID: alice)
                return HTTPResponse.Status.noContent
            }
            router.put("cart") { _, context in
                _ = try await context.sessions.getOrCreateSession()
                return HTTPResponse.Status.noContent
            }
            router.group("private").add(middleware: IsAuthenticatedMiddleware()).get { _, context in
                try context.requireIdentity()
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [pool],
                logger: Logger(label: "authenticator-test", factory: { _ in SwiftLogNoOpLogHandler() }))

            try await app.test(.live) { client in
                #expect(try await client.send(.get, "/private").status == .unauthorized)
                let anonymous = try #require(try await client.send(.put, "/cart").sessionCookie?.value)
                #expect(try await client.send(.get, "/private", cookie: anonymous).status == .unauthorized)
                let token = try #require(try await client.send(.post, "/login").sessionCookie?.value)
                let response = try await client.send(.get, "/private", cookie: token)
                #expect(response.status == .ok)
                #expect(response.text == "alice@example.com")
            }
        }
    }
}
#endif
