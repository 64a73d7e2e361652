import Foundation
/// Generates PostgreSQL DDL from entity declarations, statement for statement as TypeORM's
/// `PostgresQueryRunner` writes it when it creates the tables of a fresh database (the `up()` of a generated
/// migration): each `CREATE TABLE` followed by that table's `CREATE INDEX` statements, then every foreign
/// key as `ALTER TABLE ... ADD CONSTRAINT`. Run in that order, in one transaction, the script needs no
/// table to exist beforehand.
public enum SchemaGenerator {
    /// The DDL statements for `entities`, without trailing semicolons.
    public static func ddl(for entities: [any Entity.Type]) throws(SchemaError) -> [String] {
        ddl(for: try SchemaBuilder.tables(for: entities))
    }

    /// The DDL statements for already-built tables.
    public static func ddl(for tables: [TableSchema]) -> [String] {
        var statements: [String] = []
        if tables.contains(where: { $0.columns.contains { $0.generation == .uuid } }) {
            // TypeORM's PostgresDriver runs this on connect when a uuid column is generated.
            statements.append(#"CREATE EXTENSION IF NOT EXISTS "uuid-ossp""#)
        }
        for table in tables {
            statements.append(createTable(table))
            statements.append(contentsOf: table.indexes.map { createIndex($0, on: table.name) })
        }
        for table in tables {
            statements.append(contentsOf: table.foreignKeys.map { addForeignKey($0, to: table.name) })
        }
        return statements
    }

    /// The DDL as a script: a header comment, then one statement per line, each ending in `;`.
    public static func sql(for entities: [any Entity.Type]) throws(SchemaError) -> String {
        script(ddl(for: try SchemaBuilder.tables(for: entities)))
    }

    /// Joins statements into a script.
    public static func script(_ statements: [String]) -> String {
        var text = "-- Generated from the entity declarations by `sessionctl schema write`. Do not edit.\n"
        for statement in statements { text += statement + ";\n" }
        return text
    }

    /// `CREATE TABLE "t" ("c" type NOT NULL, ..., CONSTRAINT "UQ_..." UNIQUE ("c"), CONSTRAINT "PK_..."
    /// PRIMARY KEY ("id"))`, as `PostgresQueryRunner.createTableSql`.
    public static func createTable(_ table: TableSchema) -> String {
        var sql = "CREATE TABLE \(quote(table.name)) (" + table.columns.map(columnDefinition).joined(separator: ", ")
        if !table.uniques.isEmpty {
            sql += ", " + table.uniques.map { "CONSTRAINT \(quote($0.name)) UNIQUE (\(quoteList($0.columns)))" }
                .joined(separator: ", ")
        }
        sql += ", CONSTRAINT \(quote(table.primaryKey.name)) PRIMARY KEY (\(quoteList(table.primaryKey.columns)))"
        sql += ")"
        return sql
    }

    /// A column definition, as `PostgresQueryRunner.buildCreateColumnSql`.
    public static func columnDefinition(_ column: TableColumn) -> String {
        var c = quote(column.name)
        if column.generation == .increment {
            switch column.type {
            case "integer", "int", "int4": c += " SERIAL"
            case "smallint", "int2": c += " SMALLSERIAL"
            case "bigint", "int8": c += " BIGSERIAL"
            default: c += " " + column.fullType
            }
        } else {
            c += " " + column.fullType
        }
        if !column.isNullable { c += " NOT NULL" }
        if let defaultSQL = column.defaultSQL {
            c += " DEFAULT " + defaultSQL
        } else if column.generation == .uuid {
            c += " DEFAULT uuid_generate_v4()"
        }
        return c
    }

    /// `CREATE [UNIQUE ]INDEX "IDX_..." ON "t" ("c") ` — with TypeORM's trailing space (where a partial
    /// index's `WHERE` would go).
    public static func createIndex(_ index: TableIndex, on table: String) -> String {
        "CREATE \(index.isUnique ? "UNIQUE " : "")INDEX \(quote(index.name)) ON \(quote(table)) "
            + "(\(quoteList(index.columns))) \(index.predicate.map { "WHERE \($0)" } ?? "")"
    }

    /// `ALTER TABLE "t" ADD CONSTRAINT "FK_..." FOREIGN KEY ("c") REFERENCES "r"("id") ON DELETE ... ON UPDATE
    /// ...`, as `PostgresQueryRunner.createForeignKeySql`.
    public static func addForeignKey(_ fk: ForeignKey, to table: String) -> String {
        "ALTER TABLE \(quote(table)) ADD CONSTRAINT \(quote(fk.name)) FOREIGN KEY (\(quoteList(fk.columns))) "
            + "REFERENCES \(quote(fk.referencedTable))(\(quoteList(fk.referencedColumns))) "
            + "ON DELETE \(fk.onDelete.rawValue) ON UPDATE \(fk.onUpdate.rawValue)"
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func quoteList(_ identifiers: [String]) -> String {
        identifiers.map(quote).joined(separator: ", ")
    }
}
