import Entities
import EntityFixtures
import Foundation
import Testing

// Test entities: a session table with a Vendure custom field, as in a real Vendure 3 migration.
@Entity("session") @TableInheritance(column: "type")
struct CustomSession {
    @CreateDateColumn var createdAt: Date?
    @UpdateDateColumn var updatedAt: Date?
    @Index(unique: true) @Column var token: String
    @Column var expires: Date
    @Column var invalidated: Bool
    @PrimaryGeneratedColumn(registration: .lateID) var id: Int?
    @Column(nullable: true, registration: .lateForeignID) var activeOrderId: Int?
    @Index @ManyToOne(Order.self) var activeOrder: Order?
    @Column(nullable: true, registration: .lateForeignID) var activeChannelId: Int?
    @Index @ManyToOne(Channel.self) var activeChannel: Channel?
    @Embedded var customFields: UserAgentFields
}

@Embeddable struct UserAgentFields {
    @Column(type: "varchar", nullable: true, length: 255) var userAgent: String?
}

@ChildEntity(of: CustomSession.self) struct CustomAuthenticatedSession {
    @Index @ManyToOne(User.self) var user: User?
    @Column var authenticationStrategy: String
}

@Entity struct ApiToken {
    @PrimaryGeneratedColumn(.uuid) var id: UUID?
    @CreateDateColumn var createdAt: Date?
    @Column(type: "text") var secret: String
    @Column var weight: Double
    @Column(precision: 10, scale: 2) var amount: Decimal
    @ManyToOne(User.self, nullable: false, onDelete: .cascade) var owner: User?
}

@Entity @Index(["a", "b"], unique: true)
struct AVeryLongEntityNameThatPostgresWouldTruncateBecauseItIsTooLongX {
    @PrimaryGeneratedColumn var id: Int?
    @Column var a: String
    @Column var b: String
}

@Suite struct EntityRuntimeTests {
    /// The `CREATE TABLE "session"` of a real Vendure 3 migration whose `Session` had a `userAgent` custom
    /// field, byte for byte.
    @Test func customFieldColumnsMatchAVendureMigration() throws {
        let ddl = try SchemaGenerator.ddl(for: [CustomSession.self, CustomAuthenticatedSession.self, User.self, Order.self, Channel.self])
        #expect(
            ddl[0]
                == #"CREATE TABLE "session" ("createdAt" TIMESTAMP NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP NOT NULL DEFAULT now(), "token" character varying NOT NULL, "expires" TIMESTAMP NOT NULL, "invalidated" boolean NOT NULL, "authenticationStrategy" character varying, "id" SERIAL NOT NULL, "activeOrderId" integer, "activeChannelId" integer, "type" character varying NOT NULL, "userId" integer, "customFieldsUseragent" character varying(255), CONSTRAINT "PK_f55da76ac1c3ac420f444d2ff11" PRIMARY KEY ("id"))"#)
        // Without an explicit @Index(["type"]), the discriminator index comes last, as TypeORM adds it.
        #expect(ddl[5] == #"CREATE INDEX "IDX_e5598363000cab9d9116bd5835" ON "session" ("type") "#)
    }

    @Test func uuidKeysTypesAndRequiredRelations() throws {
        let ddl = try SchemaGenerator.ddl(for: [ApiToken.self, User.self])
        #expect(ddl[0] == #"CREATE EXTENSION IF NOT EXISTS "uuid-ossp""#)
        let pk = NamingStrategy.primaryKeyName(table: "api_token", columns: ["id"])
        #expect(
            ddl[1]
                == #"CREATE TABLE "api_token" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "createdAt" TIMESTAMP NOT NULL DEFAULT now(), "secret" text NOT NULL, "weight" double precision NOT NULL, "amount" numeric(10,2) NOT NULL, "ownerId" integer NOT NULL, CONSTRAINT "\#(pk)" PRIMARY KEY ("id"))"#)
        let fk = NamingStrategy.foreignKeyName(table: "api_token", columns: ["ownerId"])
        #expect(
            ddl.last
                == #"ALTER TABLE "api_token" ADD CONSTRAINT "\#(fk)" FOREIGN KEY ("ownerId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION"#)
    }

    @Test func identifiersOverSixtyThreeBytesAreRejected() {
        #expect {
            try SchemaGenerator.ddl(for: [AVeryLongEntityNameThatPostgresWouldTruncateBecauseItIsTooLongX.self])
        } throws: { error in
            (error as? SchemaError)?.code == .identifierTooLong
                && "\(error)".contains("a_very_long_entity_name_that_postgres_would_truncate_because_it_is_too_long_x")
        }
    }

    @Test func relationTargetsMustBeAmongTheEntities() {
        #expect {
            try SchemaGenerator.ddl(for: [Session.self])
        } throws: { error in
            (error as? SchemaError)?.code == .missingEntity
        }
    }

    @Test func keyPathsMapToColumns() {
        #expect(Session.column(for: \Session.token) == "token")
        #expect(Session.column(for: \Session.id) == "id")
        #expect(Session.column(for: \Session.activeOrder) == nil)
        #expect(AuthenticatedSession.column(for: \AuthenticatedSession.userId) == "userId")
        #expect(AuthenticatedSession.column(for: \AuthenticatedSession.token) == "token")
        #expect(AuthenticatedSession.column(for: \AuthenticatedSession.base.expires) == "expires")
        #expect(CustomSession.column(for: \CustomSession.customFields.userAgent) == "customFieldsUseragent")
        #expect(
            AuthenticatedSession.columnNames == [
                "authenticationStrategy", "userId", "createdAt", "updatedAt", "token", "expires", "invalidated", "id",
                "activeOrderId", "activeChannelId",
            ])
    }

    @Test func insertValuesLeaveDatabaseGeneratedColumnsOut() {
        let session = Session(token: "t", expires: Date(timeIntervalSince1970: 0), activeChannelId: 1)
        let anonymous = AnonymousSession(session)
        #expect(anonymous.insertValues.map(\.column) == ["token", "expires", "invalidated", "activeOrderId", "activeChannelId", "type"])
        #expect(anonymous.insertValues.last?.value as? String == "AnonymousSession")
        var authenticated = AuthenticatedSession(session, userId: 7, authenticationStrategy: "native")
        authenticated.id = 3
        #expect(
            authenticated.insertValues.map(\.column) == [
                "token", "expires", "invalidated", "id", "activeOrderId", "activeChannelId", "type",
                "authenticationStrategy", "userId",
            ])
        #expect(authenticated.insertValues.first { $0.column == "type" }?.value as? String == "AuthenticatedSession")
        #expect(authenticated.insertBindings.bindings.count == 9)
        #expect(authenticated.token == "t")
    }

    @Test func metadataDescribesTheDeclaration() {
        let meta = Order.entityMetadata
        #expect(meta.resolvedTableName == "order")
        #expect(meta.columns.map(\.name) == ["createdAt", "updatedAt", "type", "code", "state", "active", "orderPlacedAt", "id", "customerId"])
        #expect(meta.columns.first { $0.name == "active" }?.defaultValue == .bool(true))
        #expect(AuthenticatedSession.tableName == "session")
        #expect(AuthenticatedSession.discriminatorValue == "AuthenticatedSession")
    }
}
