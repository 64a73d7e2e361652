import Entities
import EntityFixtures
import Foundation
import LibPQ
import TestSupport
import Testing

/// The migrator against a real server, each test in a schema of its own.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct MigratorIntegrationTests {
    static let tables = try! SchemaBuilder.tables(for: FixtureSchema.entities)

    func logCount(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*)::int8 FROM session_migrations").decodeColumn(Int.self)[0]
    }

    @Test func theGeneratedDDLReadsBackAsTheDeclaredModel() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.execute(script: SchemaGenerator.script(SchemaGenerator.ddl(for: Self.tables)))
            let catalog = try await CatalogReader.read(on: connection)
            #expect(catalog.name == schema)
            #expect(Set(catalog.tables.keys) == ["session", "user", "order", "channel"])
            for table in Self.tables {
                let read = try #require(catalog.tables[table.name])
                #expect(read.columns.map(\.name) == table.columns.map(\.name))
                for column in table.columns {
                    let c = try #require(read.column(named: column.name))
                    #expect(CatalogNormalization.normalizeType(c.type) == CatalogNormalization.expectedType(column))
                    #expect(c.isNullable == column.isNullable, "\(table.name).\(column.name)")
                }
                #expect(read.primaryKey?.name == table.primaryKey.name)
                #expect(read.primaryKey?.columns == table.primaryKey.columns)
                for index in table.indexes {
                    let i = try #require(read.index(named: index.name))
                    #expect(i.columns == index.columns && i.isUnique == index.isUnique)
                }
                #expect(Set(read.constraints.filter { $0.kind == .unique }.map(\.name)) == Set(table.uniques.map(\.name)))
                for fk in table.foreignKeys {
                    let c = try #require(read.constraint(named: fk.name))
                    #expect(c.referencedTable == fk.referencedTable && c.columns == fk.columns)
                    #expect(c.onDelete == fk.onDelete && c.onUpdate == fk.onUpdate)
                }
            }
            // Spot checks of the spellings PostgreSQL uses.
            let session = try #require(catalog.tables["session"])
            #expect(session.column(named: "expires")?.type == "timestamp without time zone")
            #expect(session.column(named: "token")?.type == "character varying")
            #expect(session.column(named: "id")?.defaultSQL?.hasPrefix("nextval(") == true)
            #expect(catalog.tables["order"]?.column(named: "type")?.defaultSQL == "'Regular'::character varying")
            // And the planner finds nothing to do.
            let plan = MigrationPlanner.plan(declared: Self.tables, catalog: catalog)
            #expect(plan.steps.isEmpty)
            #expect(plan.warnings.isEmpty, "\(plan.warnings)")
        }
    }

    @Test func aPoolRunsTheMigrationOnOneConnectionOfItsOwn() async throws {
        try await TestDatabase.withPool { pool, _ in
            let migrator = try Migrator(entities: FixtureSchema.entities)
            let first = try await migrator.migrate(on: pool)
            #expect(first.applied.count == (try FixtureSchema.ddl()).count)
            #expect(try await migrator.migrate(on: pool).applied.isEmpty)
            // The pool's queries see the tables (same schema, committed).
            #expect(try await pool.query("SELECT count(*) FROM session")[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func aSecondMigrationAppliesAndLogsNothing() async throws {
        try await TestDatabase.withSchema { connection, _ in
            let migrator = try Migrator(entities: FixtureSchema.entities)
            let first = try await migrator.migrate(on: connection)
            #expect(first.applied.map(\.sql) == SchemaGenerator.ddl(for: Self.tables))
            #expect(try await logCount(connection) == first.applied.count)
            let second = try await migrator.migrate(on: connection)
            #expect(second.applied.isEmpty)
            #expect(second.plan.warnings.isEmpty, "\(second.plan.warnings)")
            #expect(try await logCount(connection) == first.applied.count)
            let dryRun = try await migrator.plan(on: connection)
            #expect(dryRun.isEmpty)
            let checksums = try await connection.query("SELECT statement, checksum FROM session_migrations").decode((String, String).self)
            #expect(checksums.allSatisfy { MigrationLog.checksum($0.0) == $0.1 })
        }
    }

    @Test func onlyTheMissingColumnAndIndexAreAdded() async throws {
        try await TestDatabase.withSchema { connection, _ in
            try await connection.execute(script: SchemaGenerator.script(SchemaGenerator.ddl(for: Self.tables)))
            try await connection.execute(
                script: #"ALTER TABLE "session" DROP COLUMN "invalidated"; DROP INDEX "IDX_e5598363000cab9d9116bd5835""#)
            let result = try await Migrator(entities: FixtureSchema.entities).migrate(on: connection)
            #expect(
                result.applied.map(\.sql) == [
                    #"ALTER TABLE "session" ADD "invalidated" boolean NOT NULL"#,
                    #"CREATE INDEX "IDX_e5598363000cab9d9116bd5835" ON "session" ("type") "#,
                ])
            #expect(try await logCount(connection) == 2)
            let after = try await Migrator(entities: FixtureSchema.entities).plan(on: connection)
            #expect(after.isEmpty && after.warnings.isEmpty)
        }
    }

    @Test func unknownColumnsAreLeftAloneAndTypeMismatchesReported() async throws {
        try await TestDatabase.withSchema { connection, _ in
            try await connection.execute(script: SchemaGenerator.script(SchemaGenerator.ddl(for: Self.tables)))
            try await connection.execute(
                script: #"""
                    ALTER TABLE "order" ADD "subTotal" integer NOT NULL DEFAULT 0;
                    ALTER TABLE "session" ALTER COLUMN "token" TYPE text;
                    INSERT INTO "order" ("code", "state") VALUES ('A1', 'AddingItems')
                    """#)
            let result = try await Migrator(entities: FixtureSchema.entities).migrate(on: connection)
            #expect(result.applied.isEmpty)
            #expect(result.plan.warnings.map(\.kind) == [.typeMismatch])
            #expect(result.plan.warnings.first?.object == "token")
            let catalog = try await CatalogReader.read(on: connection)
            #expect(catalog.tables["session"]?.column(named: "token")?.type == "text")
            #expect(catalog.tables["order"]?.column(named: "subTotal") != nil)
            #expect(try await connection.query(#"SELECT "subTotal"::int8 FROM "order""#).decodeColumn(Int.self) == [0])
        }
    }

    @Test func destructiveStepsNeedTheFlag() async throws {
        try await TestDatabase.withSchema { connection, _ in
            let withExtra = try SchemaBuilder.tables(for: FixtureSchema.entities + [Coupon.self])
            _ = try await Migrator(tables: withExtra).migrate(on: connection)
            // Coupon is no longer declared; its table stays (tables are never dropped).
            let plain = try await Migrator(entities: FixtureSchema.entities).migrate(on: connection)
            #expect(plain.applied.isEmpty)
            // A column someone adds to a table the migrator created is not the migrator's: left alone, unreported.
            try await connection.execute(script: #"ALTER TABLE "user" ADD "nickname" character varying"#)
            var reduced = Self.tables
            let u = reduced.firstIndex { $0.name == "user" }!
            reduced[u].columns.removeAll { $0.name == "lastLogin" }
            let cautious = try await Migrator(tables: reduced).migrate(on: connection)
            #expect(cautious.applied.isEmpty)
            #expect(cautious.plan.warnings.map(\.kind) == [.destructiveStepSkipped])
            #expect(cautious.plan.warnings.first?.object == "lastLogin")
            let destructive = try await Migrator(tables: reduced, options: MigrationOptions(allowDestructive: true))
                .migrate(on: connection)
            #expect(destructive.applied.map(\.sql) == [#"ALTER TABLE "user" DROP COLUMN "lastLogin""#])
            let catalog = try await CatalogReader.read(on: connection)
            #expect(catalog.tables["user"]?.column(named: "nickname") != nil)
            #expect(catalog.tables["coupon"] != nil)
            let again = try await Migrator(tables: reduced, options: MigrationOptions(allowDestructive: true)).plan(on: connection)
            #expect(again.isEmpty && again.warnings.isEmpty)
        }
    }

    @Test func twoConcurrentMigrationsCreateEverythingOnce() async throws {
        try await TestDatabase.withSchema { connection, schema in
            let other = try await TestDatabase.connect(schema: schema)
            let migrator = try Migrator(entities: FixtureSchema.entities)
            async let a = migrator.migrate(on: connection)
            async let b = migrator.migrate(on: other)
            let results = try await [a, b]
            await other.close()
            let counts = results.map(\.applied.count).sorted()
            #expect(counts == [0, SchemaGenerator.ddl(for: Self.tables).count])
            #expect(try await logCount(connection) == counts[1])
            let catalog = try await CatalogReader.read(on: connection)
            #expect(catalog.tables["session"]?.indexes.count == 6)
        }
    }

    @Test func aNamedSchemaIsMigratedWhateverTheSearchPath() async throws {
        try await TestDatabase.withSchema { connection, schema in
            try await connection.execute(script: "SET search_path TO public")
            let result = try await Migrator(entities: FixtureSchema.entities, schema: schema).migrate(on: connection)
            #expect(!result.applied.isEmpty)
            #expect(try await connection.query("SELECT current_setting('search_path')").decodeColumn(String.self) == ["public"])
            let catalog = try await CatalogReader.read(schema: schema, on: connection)
            #expect(catalog.tables["session"] != nil && catalog.tables["session_migrations"] != nil)
            let plan = try await Migrator(entities: FixtureSchema.entities, schema: schema).plan(on: connection)
            #expect(plan.isEmpty)
        }
    }
}

/// An entity declared once and then dropped from the declaration.
@Entity
struct Coupon {
    @CreateDateColumn var createdAt: Date?
    @UpdateDateColumn var updatedAt: Date?
    @Index(unique: true) @Column var code: String
    @PrimaryGeneratedColumn(registration: .lateID) var id: Int?
}
