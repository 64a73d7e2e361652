public import LibPQ

public import Foundation

/// The table where the migrator records every statement it applied: one row per step, with the run it
/// belongs to, when, what it created or dropped, the statement and its SHA-1.
///
/// ```sql
/// CREATE TABLE "session_migrations" ("id" SERIAL NOT NULL, "run_id" uuid NOT NULL,
///   "applied_at" TIMESTAMP NOT NULL DEFAULT now(), "kind" character varying NOT NULL,
///   "table_name" character varying NOT NULL, "object_name" character varying NOT NULL,
///   "statement" text NOT NULL, "checksum" character varying NOT NULL, "description" text NOT NULL,
///   "created_columns" text[] NOT NULL DEFAULT '{}', "created_uniques" text[] NOT NULL DEFAULT '{}', ...)
/// ```
public enum MigrationLog {
    /// The default log table name.
    public static let defaultTableName = "session_migrations"

    /// `CREATE TABLE IF NOT EXISTS` of the log table.
    public static func createTableSQL(_ table: String) -> String {
        let q = SchemaGenerator.quote
        return "CREATE TABLE IF NOT EXISTS \(q(table)) (\"id\" SERIAL NOT NULL, \"run_id\" uuid NOT NULL, "
            + "\"applied_at\" TIMESTAMP NOT NULL DEFAULT now(), \"kind\" character varying NOT NULL, "
            + "\"table_name\" character varying NOT NULL, \"object_name\" character varying NOT NULL, "
            + "\"statement\" text NOT NULL, \"checksum\" character varying NOT NULL, \"description\" text NOT NULL, "
            + "\"created_columns\" text[] NOT NULL DEFAULT '{}', \"created_uniques\" text[] NOT NULL DEFAULT '{}', "
            + "CONSTRAINT \(q("PK_" + table)) PRIMARY KEY (\"id\"))"
    }

    /// The SHA-1 (hex) of a statement.
    public static func checksum(_ statement: String) -> String { NamingStrategy.hash(statement) }

    /// What the log says the migrator created (drops cancel earlier creations). Empty when the log table
    /// does not exist.
    public static func history(
        table: String, schema: String, on connection: some PostgresQueryable
    ) async throws -> [MigrationRecord] {
        guard try await exists(table: table, schema: schema, on: connection) else { return [] }
        var query = PostgresQuery(
            unsafeSQL: "SELECT \"kind\", \"table_name\", \"object_name\", \"created_columns\", \"created_uniques\" FROM ")
        query.appendIdentifier(schema)
        query.appendUnescaped(".")
        query.appendIdentifier(table)
        query.appendUnescaped(" ORDER BY \"id\"")
        var records: [MigrationRecord] = []
        for (kind, tableName, object, columns, uniques) in try await connection.query(query).decode(
            (String, String, String, [String], [String]).self)
        {
            guard let kind = MigrationStep.Kind(rawValue: kind) else { continue }
            if kind.isDestructive {
                let created: MigrationStep.Kind =
                    switch kind {
                    case .dropColumn: .addColumn
                    case .dropIndex: .createIndex
                    case .dropUnique: .addUnique
                    default: .addForeignKey
                    }
                records.removeAll { $0.kind == created && $0.table == tableName && $0.object == object }
            } else {
                records.append(MigrationRecord(kind: kind, table: tableName, object: object))
                // A created table's columns and UNIQUE constraints count as created by the migrator.
                records += columns.map { MigrationRecord(kind: .addColumn, table: tableName, object: $0) }
                records += uniques.map { MigrationRecord(kind: .addUnique, table: tableName, object: $0) }
            }
        }
        return records
    }

    /// Whether the log table exists in `schema`.
    public static func exists(table: String, schema: String, on connection: some PostgresQueryable) async throws -> Bool {
        let name = SchemaGenerator.quote(schema) + "." + SchemaGenerator.quote(table)
        let rows = try await connection.query("SELECT to_regclass(\(name)) IS NOT NULL")
        return try rows.decodeColumn(Bool.self).first == true
    }

    /// Records one applied step.
    public static func record(
        _ step: MigrationStep, runID: UUID, table: String, on connection: some PostgresQueryable
    ) async throws {
        var query = PostgresQuery(unsafeSQL: "INSERT INTO ")
        query.appendIdentifier(table)
        query.appendUnescaped(
            " (\"run_id\", \"kind\", \"table_name\", \"object_name\", \"statement\", \"checksum\", \"description\", "
                + "\"created_columns\", \"created_uniques\") VALUES (")
        query.appendBind(runID)
        for value in [step.kind.rawValue, step.table, step.object, step.sql, checksum(step.sql), step.description] {
            query.appendUnescaped(", ")
            query.appendBind(value)
        }
        query.appendUnescaped(", ")
        query.appendBind(step.createdColumns)
        query.appendUnescaped(", ")
        query.appendBind(step.createdUniques)
        query.appendUnescaped(")")
        try await connection.query(query)
    }
}

/// An object the migrator created, as its log records it.
public struct MigrationRecord: Sendable, Hashable {
    /// The step that created it.
    public var kind: MigrationStep.Kind
    /// The table.
    public var table: String
    /// The table, column, index or constraint name.
    public var object: String

    /// Creates a record.
    public init(kind: MigrationStep.Kind, table: String, object: String) {
        self.kind = kind
        self.table = table
        self.object = object
    }

    var key: MigrationRecord { self }
}
