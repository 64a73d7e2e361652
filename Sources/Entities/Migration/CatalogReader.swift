public import LibPQ

/// Reads a schema's tables, columns, indexes and constraints from `pg_catalog` (four queries, each one round
/// trip, whatever the number of tables).
public enum CatalogReader {
    /// The schema `current_schema()` names (the first existing schema of the `search_path`).
    public static func currentSchema(on connection: some PostgresQueryable) async throws -> String {
        let rows = try await connection.query("SELECT current_schema()::text")
        guard let name = try rows.decodeColumn(String?.self).first ?? nil else {
            throw MigrationError(.noSchema, "no schema of the search_path exists (current_schema() is NULL)")
        }
        return name
    }

    /// Reads `schema` (default: `current_schema()`).
    public static func read(schema: String? = nil, on connection: some PostgresQueryable) async throws -> CatalogSchema {
        let schema = if let schema { schema } else { try await currentSchema(on: connection) }
        var tables: [String: CatalogTable] = [:]

        let tableRows = try await connection.query(
            """
            SELECT c.relname::text FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(schema) AND c.relkind IN ('r', 'p')
            ORDER BY c.relname
            """)
        for name in try tableRows.decodeColumn(String.self) { tables[name] = CatalogTable(name: name) }

        let columnRows = try await connection.query(
            """
            SELECT c.relname::text, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = \(schema) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """)
        for (table, name, type, notNull, defaultSQL) in try columnRows.decode((String, String, String, Bool, String?).self) {
            tables[table]?.columns.append(
                CatalogColumn(name: name, type: type, isNullable: !notNull, defaultSQL: defaultSQL))
        }

        let indexRows = try await connection.query(
            """
            SELECT t.relname::text, i.relname::text, x.indisunique,
                ARRAY(SELECT COALESCE(a.attname::text, '') FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                    ORDER BY k.ord)::text[],
                pg_catalog.pg_get_expr(x.indpred, x.indrelid),
                (SELECT con.conname::text FROM pg_catalog.pg_constraint con
                    WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u')
                    LIMIT 1)
            FROM pg_catalog.pg_index x
            JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
            JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = \(schema)
            ORDER BY t.relname, i.relname
            """)
        for (table, name, unique, columns, predicate, constraint) in try indexRows.decode(
            (String, String, Bool, [String], String?, String?).self)
        {
            tables[table]?.indexes.append(
                CatalogIndex(
                    name: name, columns: columns, isUnique: unique, predicate: predicate, constraintName: constraint))
        }

        let constraintRows = try await connection.query(
            """
            SELECT t.relname::text, con.conname::text, con.contype::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                    ORDER BY k.ord)::text[],
                f.relname::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                    ORDER BY k.ord)::text[],
                con.confdeltype::text, con.confupdtype::text
            FROM pg_catalog.pg_constraint con
            JOIN pg_catalog.pg_class t ON t.oid = con.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_catalog.pg_class f ON f.oid = con.confrelid
            WHERE n.nspname = \(schema) AND con.contype IN ('p', 'u', 'f')
            ORDER BY t.relname, con.conname
            """)
        for (table, name, type, columns, referenced, referencedColumns, onDelete, onUpdate) in try constraintRows.decode(
            (String, String, String, [String], String?, [String], String, String).self)
        {
            guard let kind = CatalogConstraint.Kind(rawValue: type) else { continue }
            let isForeignKey = kind == .foreignKey
            tables[table]?.constraints.append(
                CatalogConstraint(
                    name: name, kind: kind, columns: columns, referencedTable: isForeignKey ? referenced : nil,
                    referencedColumns: isForeignKey ? referencedColumns : [],
                    onDelete: isForeignKey ? ReferentialAction(catalogCode: onDelete) : nil,
                    onUpdate: isForeignKey ? ReferentialAction(catalogCode: onUpdate) : nil))
        }
        return CatalogSchema(name: schema, tables: tables)
    }
}
