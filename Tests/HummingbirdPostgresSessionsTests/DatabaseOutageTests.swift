#if Hummingbird
import EmbeddedPostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import StorefrontExample
import Testing
import TestSupport

/// With its database stopped, the server answers 503 with a fixed text (no SQL, no server message, no
/// socket path) and a `Retry-After`, never a 500 with an error text; and it answers promptly.
///
/// The database is a server of the test's own (``EmbeddedPostgres``, on a unix socket in a temporary
/// directory), so stopping it disturbs no other test.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct DatabaseOutageTests {
    @Test func aStoppedDatabaseAnswers503WithoutDetail() async throws {
        let server = try EmbeddedPostgres.prepare(prefix: "storefront-outage-test")
        defer { server.stop() }
        try server.boot()
        let database = try server.configuration
        try await StorefrontDatabase.prepare(database)
        var configuration = StorefrontConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.pool.connectTimeout = .seconds(1)
        configuration.pool.acquireTimeout = .seconds(1)
        let logs = CapturedLogs()
        var logger = Logger(label: "outage-test", factory: { _ in CapturingLogHandler(storage: logs) })
        logger.logLevel = .debug
        let storefront = Storefront(configuration: configuration, database: database, logger: logger)

        try await storefront.application.test(.live) { client in
            let before = try await client.send(.put, "/active-order/UP-1")
            #expect(before.status == .ok)
            #expect(try await client.send(.get, "/session", cookie: String(repeating: "cd", count: 32)).status == .ok)

            server.stop()

            let clock = ContinuousClock()
            let start = clock.now
            let lookup = try await client.send(.get, "/session", cookie: String(repeating: "ef", count: 32))
            #expect(lookup.status == .serviceUnavailable)
            #expect(lookup.headers[.retryAfter] == "1")
            #expect(lookup.text == "The service is temporarily unavailable. Please try again shortly.\n")
            #expect(clock.now - start < .seconds(5))

            // The route's own query (the order) fails the same way.
            let create = try await client.send(.put, "/active-order/DOWN-1")
            #expect(create.status == .serviceUnavailable)
            #expect(create.text == lookup.text)

            for response in [lookup, create] {
                #expect(!response.text.contains(server.directory.path))
                #expect(!response.text.contains("PostgresError"))
            }
            #expect(logs.all.contains("unavailable"))
        }
    }
}
#endif
