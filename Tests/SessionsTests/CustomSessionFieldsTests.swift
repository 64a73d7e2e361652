import Entities
import Foundation
import LibPQ
import Sessions
import Testing

/// Custom fields of sessions (Vendure's `customFields.Session`): declared in the store's configuration,
/// added to the table by the migrator, written, read, returned and cached by the store with no store code
/// of their own.
@Suite struct CustomSessionFieldsTests {
    static let device = CustomField("deviceId", .string)
    static let logins = CustomField("loginCount", .int, nullable: false, defaultValue: 0)
    static let seen = CustomField("lastSeen", .datetime)

    @Test func aDeclaredFieldIsMigratedWrittenReadReturnedAndCached() async throws {
        let fields = [Self.device, Self.logins, Self.seen]
        try await Fixture.withStore(configure: { $0.customFields = fields }) { f in
            // The fixture created the tables without the fields: the migrator adds their columns.
            let result = try await VendureSchema.migrator(customFields: fields, schema: f.schema).migrate(on: f.connection)
            #expect(
                result.applied.map(\.sql) == [
                    #"ALTER TABLE "session" ADD "customFieldsDeviceid" character varying(255)"#,
                    #"ALTER TABLE "session" ADD "customFieldsLogincount" integer NOT NULL DEFAULT '0'"#,
                    #"ALTER TABLE "session" ADD "customFieldsLastseen" TIMESTAMP(6)"#,
                ])

            let seenAt = Date(timeIntervalSince1970: 1_750_000_123.5)
            let created = try await f.store.createAnonymousSession(
                customFields: ["deviceId": "ios-17", "loginCount": 3, "lastSeen": .date(seenAt)])
            #expect(created.customFields == ["deviceId": "ios-17", "loginCount": 3, "lastSeen": .date(seenAt)])
            // The row holds them.
            let row = try await f.connection.query(
                "SELECT \"customFieldsDeviceid\", \"customFieldsLogincount\" FROM session WHERE id = \(created.id)")
            #expect(try row[0].decode((String, Int).self) == ("ios-17", 3))

            // Read from the database (cache emptied), then from the cache (no query).
            try await f.cache.clear()
            let read = try #require(try await f.store.session(forToken: created.token))
            #expect(read.customFields == created.customFields)
            let before = f.database.queries
            let cached = try #require(try await f.store.session(forToken: created.token))
            #expect(f.database.queries == before && cached.customFields["deviceId"] == "ios-17")

            // Returned by a change, with the relations.
            let order = try await f.makeOrder("ORD-CF")
            let changed = try #require(try await f.store.setActiveOrder(order, forToken: created.token))
            #expect(changed.customFields == created.customFields && changed.activeOrder?.code == "ORD-CF")

            // A field left out is NULL, or its default.
            let user = try await f.makeUser("cf@example.com")
            let bare = try await f.store.createAuthenticatedSession(user: user)
            #expect(bare.customFields == ["loginCount": 0] && bare.user?.identifier == "cf@example.com")
        }
    }

    @Test func valuesThatDoNotFitAreTypedErrorsAndWriteNothing() async throws {
        try await Fixture.withStore(configure: { $0.customFields = [Self.device] }) { f in
            _ = try await VendureSchema.migrator(customFields: [Self.device], schema: f.schema).migrate(on: f.connection)
            await #expect(throws: SessionStoreError.self) { try await f.store.createAnonymousSession(customFields: ["deviceId": 5]) }
            await #expect(throws: SessionStoreError.self) {
                try await f.store.createAnonymousSession(customFields: ["deviceId": .string(String(repeating: "x", count: 256))])
            }
            await #expect(throws: SessionStoreError.self) { try await f.store.createAnonymousSession(customFields: ["other": "x"]) }
            #expect(try await f.connection.query("SELECT count(*) FROM session")[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func badDeclarationsAreConfigurationErrors() async throws {
        _ = try await Fixture.withStore(configure: { $0.customFields = [CustomField("a b", .string)] }) { f in
            await #expect(throws: SessionStoreError.self) { try await f.store.createAnonymousSession() }
        }
        _ = try await Fixture.withStore(configure: { $0.customFields = [CustomField("n", .int, nullable: false)] }) { f in
            await #expect(throws: SessionStoreError.self) { try await f.store.createAnonymousSession() }
        }
    }

    @Test func theDDLPlacesTheColumnsAfterTheDeclaredOnes() throws {
        let ddl = try VendureSchema.ddl(customFields: [Self.device])
        #expect(ddl[0].contains(#""userId" integer, "customFieldsDeviceid" character varying(255), CONSTRAINT "PK_"#))
        #expect(try VendureSchema.ddl().count == ddl.count)
        #expect(throws: SchemaError.self) { try VendureSchema.ddl(customFields: [Self.device, Self.device]) }
    }
}
