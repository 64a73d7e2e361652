import Entities
import EntityFixtures
import Testing

/// The diff rules, against catalogs built by hand (no server).
@Suite struct MigrationPlannerTests {
    static let tables = try! SchemaBuilder.tables(for: FixtureSchema.entities)

    /// The catalog PostgreSQL reports after running the generated DDL, written the way `format_type` and
    /// `pg_get_expr` print it.
    static func catalog(of tables: [TableSchema]) -> CatalogSchema {
        var schema = CatalogSchema(name: "public")
        for table in tables {
            var t = CatalogTable(name: table.name)
            for column in table.columns {
                let type = CatalogNormalization.expectedType(column)
                var defaultSQL = column.defaultSQL
                if column.generation == .increment { defaultSQL = "nextval('\(table.name)_\(column.name)_seq'::regclass)" }
                if let d = defaultSQL, d.hasPrefix("'") { defaultSQL = d + "::" + type }
                t.columns.append(CatalogColumn(name: column.name, type: type, isNullable: column.isNullable, defaultSQL: defaultSQL))
            }
            t.constraints.append(CatalogConstraint(name: table.primaryKey.name, kind: .primaryKey, columns: table.primaryKey.columns))
            t.indexes.append(CatalogIndex(name: table.primaryKey.name, columns: table.primaryKey.columns, isUnique: true, constraintName: table.primaryKey.name))
            for unique in table.uniques {
                t.constraints.append(CatalogConstraint(name: unique.name, kind: .unique, columns: unique.columns))
                t.indexes.append(CatalogIndex(name: unique.name, columns: unique.columns, isUnique: true, constraintName: unique.name))
            }
            for index in table.indexes {
                t.indexes.append(CatalogIndex(name: index.name, columns: index.columns, isUnique: index.isUnique))
            }
            for fk in table.foreignKeys {
                t.constraints.append(
                    CatalogConstraint(
                        name: fk.name, kind: .foreignKey, columns: fk.columns, referencedTable: fk.referencedTable,
                        referencedColumns: fk.referencedColumns, onDelete: fk.onDelete, onUpdate: fk.onUpdate))
            }
            schema.tables[table.name] = t
        }
        return schema
    }

    @Test func anEmptySchemaGetsTheWholeGeneratedDDL() throws {
        let plan = MigrationPlanner.plan(declared: Self.tables, catalog: CatalogSchema(name: "public"))
        #expect(plan.steps.map(\.sql) == SchemaGenerator.ddl(for: Self.tables))
        #expect(plan.warnings.isEmpty)
    }

    @Test func aMatchingCatalogNeedsNothing() {
        let plan = MigrationPlanner.plan(declared: Self.tables, catalog: Self.catalog(of: Self.tables))
        #expect(plan.steps.isEmpty)
        #expect(plan.warnings.isEmpty)
    }

    @Test func missingColumnIndexUniqueAndForeignKeyAreAdded() {
        var catalog = Self.catalog(of: Self.tables)
        catalog.tables["session"]!.columns.removeAll { $0.name == "invalidated" }
        catalog.tables["session"]!.indexes.removeAll { $0.name == "IDX_232f8e85d7633bd6ddfad42169" }
        catalog.tables["channel"]!.constraints.removeAll { $0.name == "UQ_842699fce4f3470a7d06d89de88" }
        catalog.tables["session"]!.constraints.removeAll { $0.name == "FK_3d2f174ef04fb312fdebd0ddc53" }
        let plan = MigrationPlanner.plan(declared: Self.tables, catalog: catalog)
        #expect(
            plan.steps.map(\.sql) == [
                #"ALTER TABLE "session" ADD "invalidated" boolean NOT NULL"#,
                #"CREATE UNIQUE INDEX "IDX_232f8e85d7633bd6ddfad42169" ON "session" ("token") "#,
                #"ALTER TABLE "channel" ADD CONSTRAINT "UQ_842699fce4f3470a7d06d89de88" UNIQUE ("token")"#,
                #"ALTER TABLE "session" ADD CONSTRAINT "FK_3d2f174ef04fb312fdebd0ddc53" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE NO ACTION ON UPDATE NO ACTION"#,
            ])
        #expect(plan.warnings.map(\.kind) == [.notNullWithoutDefault])
    }

    @Test func mismatchesAreReportedNotChanged() {
        var catalog = Self.catalog(of: Self.tables)
        var session = catalog.tables["session"]!
        let i = session.columns.firstIndex { $0.name == "token" }!
        session.columns[i].type = "text"
        let j = session.columns.firstIndex { $0.name == "expires" }!
        session.columns[j].isNullable = true
        catalog.tables["session"] = session
        var order = catalog.tables["order"]!
        let k = order.columns.firstIndex { $0.name == "type" }!
        order.columns[k].defaultSQL = "'Seller'::character varying"
        catalog.tables["order"] = order
        let plan = MigrationPlanner.plan(declared: Self.tables, catalog: catalog)
        #expect(plan.steps.isEmpty)
        #expect(plan.warnings.map(\.kind) == [.typeMismatch, .nullabilityMismatch, .defaultMismatch])
        #expect(plan.warnings[0].object == "token")
    }

    @Test func unknownColumnsAreIgnoredUnknownIndexesReported() {
        var catalog = Self.catalog(of: Self.tables)
        catalog.tables["order"]!.columns.append(CatalogColumn(name: "subTotal", type: "integer", isNullable: false))
        catalog.tables["order"]!.indexes.append(CatalogIndex(name: "IDX_vendure_extra", columns: ["subTotal"], isUnique: false))
        catalog.tables["tax_rate"] = CatalogTable(name: "tax_rate", columns: [CatalogColumn(name: "id", type: "integer", isNullable: false)])
        let plan = MigrationPlanner.plan(declared: Self.tables, catalog: catalog)
        #expect(plan.steps.isEmpty)
        #expect(plan.warnings.map(\.kind) == [.unknownObject])
        #expect(plan.warnings.first?.object == "IDX_vendure_extra")
    }

    @Test func whatTheMigratorCreatedIsDroppedOnlyWhenAllowed() {
        var catalog = Self.catalog(of: Self.tables)
        catalog.tables["user"]!.columns.append(CatalogColumn(name: "nickname", type: "character varying", isNullable: true))
        catalog.tables["user"]!.indexes.append(CatalogIndex(name: "IDX_nick", columns: ["nickname"], isUnique: false))
        let history = [
            MigrationRecord(kind: .addColumn, table: "user", object: "nickname"),
            MigrationRecord(kind: .createIndex, table: "user", object: "IDX_nick"),
        ]
        let cautious = MigrationPlanner.plan(declared: Self.tables, catalog: catalog, history: history)
        #expect(cautious.steps.isEmpty)
        #expect(cautious.warnings.map(\.kind) == [.destructiveStepSkipped, .destructiveStepSkipped])
        let destructive = MigrationPlanner.plan(
            declared: Self.tables, catalog: catalog, history: history, options: MigrationOptions(allowDestructive: true))
        #expect(
            destructive.steps.map(\.sql) == [#"DROP INDEX "IDX_nick""#, #"ALTER TABLE "user" DROP COLUMN "nickname""#])
        #expect(destructive.warnings.isEmpty)
    }

    @Test func catalogSpellingsNormalize() {
        #expect(CatalogNormalization.normalizeDefault("'Regular'::character varying") == "'Regular'")
        #expect(CatalogNormalization.normalizeDefault("'0'") == "0")
        #expect(CatalogNormalization.normalizeDefault("(-1)") == "-1")
        #expect(CatalogNormalization.normalizeDefault("CURRENT_TIMESTAMP") == "now()")
        #expect(CatalogNormalization.normalizeDefault("'a''b'::text") == "'a''b'")
        #expect(CatalogNormalization.normalizeType("VARCHAR(255)") == "character varying(255)")
        #expect(CatalogNormalization.normalizeType("int4") == "integer")
    }
}
