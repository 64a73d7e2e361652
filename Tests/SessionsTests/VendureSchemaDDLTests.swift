import Entities
import Sessions
import Testing

/// The DDL of the package's entities, asserted statement by statement. The `CREATE TABLE "session"` and
/// `CREATE TABLE "user"` statements, every constraint and index name, and the statement formats were
/// compared with migrations TypeORM generated for real Vendure 3 databases on PostgreSQL.
@Suite struct VendureSchemaDDLTests {
    static let expected: [String] = [
        #"CREATE TABLE "session" ("createdAt" TIMESTAMP NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP NOT NULL DEFAULT now(), "token" character varying NOT NULL, "expires" TIMESTAMP NOT NULL, "invalidated" boolean NOT NULL, "authenticationStrategy" character varying, "id" SERIAL NOT NULL, "activeOrderId" integer, "activeChannelId" integer, "type" character varying NOT NULL, "userId" integer, CONSTRAINT "PK_f55da76ac1c3ac420f444d2ff11" PRIMARY KEY ("id"))"#,
        #"CREATE UNIQUE INDEX "IDX_232f8e85d7633bd6ddfad42169" ON "session" ("token") "#,
        #"CREATE INDEX "IDX_7a75399a4f4ffa48ee02e98c05" ON "session" ("activeOrderId") "#,
        #"CREATE INDEX "IDX_eb87ef1e234444728138302263" ON "session" ("activeChannelId") "#,
        #"CREATE INDEX "IDX_e5598363000cab9d9116bd5835" ON "session" ("type") "#,
        #"CREATE INDEX "IDX_3d2f174ef04fb312fdebd0ddc5" ON "session" ("userId") "#,
        #"CREATE TABLE "user" ("createdAt" TIMESTAMP NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP NOT NULL DEFAULT now(), "deletedAt" TIMESTAMP, "identifier" character varying NOT NULL, "verified" boolean NOT NULL DEFAULT false, "lastLogin" TIMESTAMP, "id" SERIAL NOT NULL, CONSTRAINT "PK_cace4a159ff9f2512dd42373760" PRIMARY KEY ("id"))"#,
        #"CREATE TABLE "order" ("createdAt" TIMESTAMP NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP NOT NULL DEFAULT now(), "type" character varying NOT NULL DEFAULT 'Regular', "code" character varying NOT NULL, "state" character varying NOT NULL, "active" boolean NOT NULL DEFAULT true, "orderPlacedAt" TIMESTAMP, "id" SERIAL NOT NULL, "customerId" integer, CONSTRAINT "PK_1031171c13130102495201e3e20" PRIMARY KEY ("id"))"#,
        #"CREATE UNIQUE INDEX "IDX_729b3eea7ce540930dbb706949" ON "order" ("code") "#,
        #"CREATE INDEX "IDX_af13739f4962eab899bdff34be" ON "order" ("orderPlacedAt") "#,
        #"CREATE INDEX "IDX_124456e637cca7a415897dce65" ON "order" ("customerId") "#,
        #"CREATE TABLE "channel" ("createdAt" TIMESTAMP NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP NOT NULL DEFAULT now(), "code" character varying NOT NULL, "token" character varying NOT NULL, "id" SERIAL NOT NULL, CONSTRAINT "UQ_06127ac6c6d913f4320759971db" UNIQUE ("code"), CONSTRAINT "UQ_842699fce4f3470a7d06d89de88" UNIQUE ("token"), CONSTRAINT "PK_590f33ee6ee7d76437acf362e39" PRIMARY KEY ("id"))"#,
        #"ALTER TABLE "session" ADD CONSTRAINT "FK_7a75399a4f4ffa48ee02e98c059" FOREIGN KEY ("activeOrderId") REFERENCES "order"("id") ON DELETE NO ACTION ON UPDATE NO ACTION"#,
        #"ALTER TABLE "session" ADD CONSTRAINT "FK_eb87ef1e234444728138302263b" FOREIGN KEY ("activeChannelId") REFERENCES "channel"("id") ON DELETE NO ACTION ON UPDATE NO ACTION"#,
        #"ALTER TABLE "session" ADD CONSTRAINT "FK_3d2f174ef04fb312fdebd0ddc53" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE NO ACTION ON UPDATE NO ACTION"#,
    ]

    @Test func generatesTheVendureDDLStatementByStatement() throws {
        let ddl = try VendureSchema.ddl()
        #expect(ddl.count == Self.expected.count)
        for (actual, expected) in zip(ddl, Self.expected) {
            #expect(actual == expected)
        }
    }

    @Test func checkedInSchemaFileIsUpToDate() throws {
        let text = try SchemaFile.read(at: SchemaFile.defaultPath(relativeTo: packageRoot))
        #expect(try SchemaFile.check(expected: VendureSchema.sql(), actual: text) == nil)
    }

    @Test func sessionTableFoldsBothChildrenIn() throws {
        let tables = try SchemaBuilder.tables(for: VendureSchema.entities)
        #expect(tables.map(\.name) == ["session", "user", "order", "channel"])
        let session = try #require(tables.first)
        #expect(session.inheritance?.column == "type")
        #expect(session.inheritance?.values.map(\.value) == ["Session", "AnonymousSession", "AuthenticatedSession"])
        #expect(session.column(named: "authenticationStrategy")?.isNullable == true)
        #expect(session.column(named: "type")?.isNullable == false)
    }

    @Test func childEntityAloneBringsInItsRoot() throws {
        let ddl = try SchemaGenerator.ddl(for: [AuthenticatedSession.self, User.self, Order.self, Channel.self])
        #expect(ddl.first?.hasPrefix(#"CREATE TABLE "session" ("#) == true)
        // The root alone does not know AuthenticatedSession: no authenticationStrategy/userId columns.
        let rootOnly = try SchemaGenerator.ddl(for: [Session.self, Order.self, Channel.self])
        #expect(rootOnly.first?.contains("userId") == false)
    }
}

/// The package root, found from this file's path.
let packageRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return path
}()
