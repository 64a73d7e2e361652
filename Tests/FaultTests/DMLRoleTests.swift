import Entities
import Foundation
import LibPQ
import Sessions
import Testing

extension FaultSuite {
    /// (g) A role granted only SELECT/INSERT/UPDATE/DELETE on the session tables (plus what a serial
    /// column's INSERT needs: USAGE on its sequence), connected over TLS verify-full with SCRAM, runs every
    /// SessionStore operation. The schema is made by the superuser.
    @Suite struct DMLRole {
        @Test func aRoleWithOnlyDMLRightsRunsEveryStoreOperation() async throws {
            let db = try FaultDatabase("dml")
            let env = db.environment
            let role = env.appRole
            try await db.createSchema(try VendureSchema.sql())
            do {
                let ids = try await db.admin { c in
                    try await c.execute(script: """
                        GRANT USAGE ON SCHEMA "\(db.name)" TO \(role);
                        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "\(db.name)" TO \(role);
                        GRANT USAGE ON ALL SEQUENCES IN SCHEMA "\(db.name)" TO \(role);
                        """)
                    return try await c.query("""
                        WITH ch AS (INSERT INTO channel (code, token) VALUES ('c1', 't1'), ('c2', 't2') RETURNING id),
                             o AS (INSERT INTO "order" (code, state) VALUES ('o1', 'AddingItems'), ('o2', 'AddingItems') RETURNING id),
                             u AS (INSERT INTO "user" (identifier, verified) VALUES ('fault@example.com', true) RETURNING id)
                        SELECT (SELECT array_agg(id ORDER BY id) FROM ch), (SELECT array_agg(id ORDER BY id) FROM o), (SELECT id FROM u)
                        """)[0].decode(([Int], [Int], Int).self)
                }
                var connection = try env.app(schema: db.name)
                connection["application_name"] = db.name
                let pool = PostgresPool(connection: connection)
                let runner = Task { try await pool.run() }
                let result = await Self.attempt { try await Self.runEveryOperation(pool, channels: ids.0, orders: ids.1, user: ids.2) }
                let createRefused = await Self.attempt { try await pool.execute(script: "CREATE TABLE not_allowed (a int)") }
                runner.cancel()
                try? await runner.value

                let operations = (try? result.get()) ?? []
                FaultReport.emit("g-dml", [
                    "role": role, "operations_ok": operations.count, "operations": operations.joined(separator: ","),
                    "failed": (try? result.get()).map { _ in "none" } ?? "\(result)",
                    "create_table": (try? createRefused.get()).map { "allowed" } ?? Self.label(createRefused),
                ])
                _ = try result.get()
                #expect(operations.count == 15)
                let refused = try #require(throws: PostgresError.self) { try createRefused.get() }
                #expect(refused.sqlState == "42501", "the role has no DDL rights")
            } catch {
                await db.dropSchema()
                throw error
            }
            await db.dropSchema()
        }

        static func attempt<T>(
            isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
        ) async -> Result<T, any Error> {
            do { return .success(try await body()) } catch { return .failure(error) }
        }

        static func label(_ result: Result<Void, any Error>) -> String {
            if case .failure(let e) = result { return FaultReport.label(e) }
            return "ok"
        }

        /// Every public operation of the store; returns their names in order. A check that fails throws.
        static func runEveryOperation(_ pool: PostgresPool, channels: [Int], orders: [Int], user: Int) async throws -> [String] {
            let clock = ManualSessionClock()
            let store = SessionStore(database: pool, cache: InMemorySessionCache(clock: clock), clock: clock)
            let uncached = SessionStore(database: pool, cache: NoSessionCache(), clock: clock)
            var done: [String] = []
            func check(_ name: String, _ ok: Bool) throws {
                guard ok else { throw StoreCheckFailed(operation: name) }
                done.append(name)
            }
            let anonymous = try await store.createAnonymousSession(activeChannel: channels[0])
            try check("createAnonymousSession", anonymous.activeChannelId == channels[0])
            let authenticated = try await store.createAuthenticatedSession(user: user, activeOrder: orders[0], activeChannel: channels[0])
            try check("createAuthenticatedSession", authenticated.user?.id == user)
            try check("lookup", try await uncached.session(forToken: authenticated.token)?.id == authenticated.id)
            clock.advance(by: .seconds(200 * 86_400))
            let renewed = try await uncached.session(forToken: anonymous.token)
            try check("renew", (renewed?.expires ?? .distantPast) > anonymous.expires)
            try check("setActiveOrder", try await store.setActiveOrder(orders[1], forToken: anonymous.token)?.activeOrderId == orders[1])
            try check("unsetActiveOrder", try await store.unsetActiveOrder(forToken: anonymous.token)?.activeOrderId == nil)
            try check("setActiveChannel", try await store.setActiveChannel(channels[1], forToken: anonymous.token)?.activeChannelId == channels[1])
            try check("invalidate", try await store.invalidate(token: authenticated.token))
            try check("lookupInvalidated", try await uncached.session(forToken: authenticated.token) == nil)
            _ = try await store.createAuthenticatedSession(user: user)
            try check("deleteSessionsForUser", try await store.deleteSessions(forUser: user) >= 1)
            _ = try await store.createAnonymousSession()
            let withOrder = try await store.createAnonymousSession()
            _ = try await store.setActiveOrder(orders[0], forToken: withOrder.token)
            try check("deleteSessionsForActiveOrder", try await store.deleteSessions(forActiveOrder: orders[0]) == 1)
            try check("deleteOrder", try await store.deleteOrder(id: orders[1]))
            try check("deleteChannel", try await store.deleteChannel(id: channels[1]))
            clock.advance(by: .seconds(2 * 365 * 86_400))
            try check("cleanExpiredSessions", try await store.cleanExpiredSessions() >= 1)
            try check("databaseStatistics", try await store.databaseStatistics().total == 0)
            return done
        }

        struct StoreCheckFailed: Error, CustomStringConvertible {
            let operation: String
            var description: String { "store operation \(operation) returned something unexpected" }
        }
    }
}
