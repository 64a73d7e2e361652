import Entities
import Foundation
import LibPQ
import Sessions
import TestSupport
import Testing

/// The store on tables exactly as TypeORM created them for Vendure, with columns the store does not know.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct VendureDatabaseTests {
    @Test func createLookupAndChangeSessionsOnAVendureDatabase() async throws {
        try await TestDatabase.withSchema { connection, schema in
            // sql/schema.sql is Vendure's DDL for these tables; add columns only Vendure knows about.
            try await connection.execute(script: try VendureSchema.sql())
            try await connection.execute(script: """
                ALTER TABLE "order" ADD "couponCodes" text NOT NULL DEFAULT '', ADD "currencyCode" character varying NOT NULL DEFAULT 'USD',
                  ADD "subTotal" integer NOT NULL DEFAULT 0, ADD "shippingAddress" text NOT NULL DEFAULT '{}';
                ALTER TABLE "channel" ADD "defaultLanguageCode" character varying NOT NULL DEFAULT 'en',
                  ADD "pricesIncludeTax" boolean NOT NULL DEFAULT false, ADD "customFieldsFoo" integer;
                ALTER TABLE "user" ADD "customFieldsNickname" character varying;
                ALTER TABLE "session" ADD "customFieldsDevice" character varying;
                INSERT INTO channel (code, token) VALUES ('__default_channel__', 'vendure-token');
                INSERT INTO "user" (identifier, verified, "customFieldsNickname") VALUES ('superadmin', true, 'root');
                INSERT INTO "order" (code, state, "couponCodes") VALUES ('V7X2', 'AddingItems', 'SAVE10');
                -- A session written by Vendure itself (TypeORM's insert: every column, updatedAt by the database).
                INSERT INTO session ("token", "expires", "invalidated", "type", "activeChannelId")
                VALUES (repeat('ab', 32), now() AT TIME ZONE 'UTC' + interval '300 days', false, 'AnonymousSession', 1);
                """)
            let clock = SystemSessionClock()
            let store = SessionStore(database: connection, cache: InMemorySessionCache(), clock: clock)

            let vendureMade = try #require(try await store.session(forToken: String(repeating: "ab", count: 32)))
            #expect(vendureMade.kind == .anonymous && vendureMade.activeChannel?.token == "vendure-token")
            #expect(abs(vendureMade.expires.timeIntervalSince(Date().addingTimeInterval(300 * 86_400))) < 60)

            let s = try await store.createAuthenticatedSession(user: 1, authenticationStrategy: "native", activeChannel: 1)
            #expect(s.user?.identifier == "superadmin")
            let withOrder = try #require(try await store.setActiveOrder(1, forToken: s.token))
            #expect(withOrder.activeOrder?.code == "V7X2")
            try await store.invalidate(token: s.token)
            #expect(try await store.session(forToken: s.token) == nil)
            // The row reads back in Vendure's terms: UTC wall time in timestamp columns.
            let (type, strategy, skew) = try await connection.query("""
                SELECT type, "authenticationStrategy", abs(extract(epoch FROM ("updatedAt" - (now() AT TIME ZONE 'UTC'))))::float8
                FROM session WHERE id = \(s.id)
                """)[0].decode((String, String, Double).self)
            #expect(type == "AuthenticatedSession" && strategy == "native")
            #expect(skew < 60)
            _ = schema
        }
    }
}
