#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdPostgresSessions
import HummingbirdTesting
import LibPQ
import Logging
import Sessions
import StorefrontExample
import Testing
import TestSupport

/// `PostgresSessionConfiguration.taskExecutor`: the middleware runs the lookup and the handler on the
/// executor it names (the pool's event loop), and requests behave as without it.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct TaskExecutorTests {
    @Test(arguments: [false, true])
    func handlersRunOnTheConfiguredExecutor(onLoop: Bool) async throws {
        try await HTTPFixture.withDatabase { db in
            let loop = PostgresEventLoop.default
            let pool = PostgresPool(connection: db.configuration)
            let store = SessionStore(database: pool)
            var configuration = PostgresSessionConfiguration(tokenMethods: .bearer)
            if onLoop { configuration.taskExecutor = loop.taskExecutor }
            let router = Router(context: BasicPostgresSessionRequestContext.self)
            router.add(middleware: PostgresSessionMiddleware(store: store, configuration: configuration))
            router.put("session") { _, context in
                _ = try await context.sessions.getOrCreateSession()
                return loop.isCurrent ? "loop" : "elsewhere"
            }
            router.get("where") { _, context in
                // A query from the handler: answered, and back on the same executor.
                let one = try await pool.query("SELECT 1")[0].decode(Int.self, at: 0)
                let place = loop.isCurrent ? "loop" : "elsewhere"
                return "\(place) \(one) \(context.sessions.session != nil)"
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [pool],
                logger: Logger(label: "executor-test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let expected = onLoop ? "loop" : "elsewhere"
            try await app.test(.live) { client in
                let created = try await client.send(.put, "/session")
                #expect(created.text == expected)
                let token = try #require(created.headers[HTTPField.Name("vendure-auth-token")!])
                for _ in 0..<3 {
                    #expect(try await client.send(.get, "/where", bearer: token).text == "\(expected) 1 true")
                }
                #expect(try await client.send(.get, "/where").text == "\(expected) 1 false")
            }
        }
    }

    @Test func theStorefrontReadsSessionExecutor() throws {
        #expect(try StorefrontConfiguration.fromEnvironment([:]).sessions.taskExecutor == nil)
        #expect(try StorefrontConfiguration.fromEnvironment(["SESSION_EXECUTOR": "default"]).sessions.taskExecutor == nil)
        #expect(try StorefrontConfiguration.fromEnvironment(["SESSION_EXECUTOR": "loop"]).sessions.taskExecutor != nil)
        #expect(throws: StorefrontConfigurationError.self) { try StorefrontConfiguration.fromEnvironment(["SESSION_EXECUTOR": "fast"]) }
    }
}
#endif
