public import Entities
public import Logging

/// The tables of the session store: Vendure's `session` (with its two children), `user`, `order` and
/// `channel`, as TypeORM creates them for Vendure, plus the configured custom fields of sessions.
public enum VendureSchema {
    /// `session` (with its two children), `user`, `order`, `channel`, in the order their tables are created.
    public static let entities: [any Entity.Type] = [
        Session.self, AnonymousSession.self, AuthenticatedSession.self, User.self, Order.self, Channel.self,
    ]

    /// The tables, the session table with a column per custom field after its declared columns (Vendure
    /// registers custom fields at bootstrap; a field added to a running shop is an `ADD COLUMN`).
    public static func tables(customFields: [CustomField] = []) throws(SchemaError) -> [TableSchema] {
        var tables = try SchemaBuilder.tables(for: entities)
        if !customFields.isEmpty, let i = tables.firstIndex(where: { $0.name == Session.tableName }) {
            for field in customFields { try tables[i].addColumn(field.column) }
        }
        return tables
    }

    /// The DDL statements of the tables.
    public static func ddl(customFields: [CustomField] = []) throws(SchemaError) -> [String] {
        SchemaGenerator.ddl(for: try tables(customFields: customFields))
    }

    /// The DDL script, as checked in at `sql/schema.sql` (without custom fields).
    public static func sql(customFields: [CustomField] = []) throws(SchemaError) -> String {
        SchemaGenerator.script(try ddl(customFields: customFields))
    }

    /// A migrator that brings a database's tables to these (a custom field added to the configuration
    /// becomes an `ALTER TABLE "session" ADD "customFields..."`).
    public static func migrator(
        customFields: [CustomField] = [], schema: String? = nil, options: MigrationOptions = MigrationOptions(),
        logger: Logger = Logger(label: "Sessions.VendureSchema", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(SchemaError) -> Migrator {
        Migrator(tables: try tables(customFields: customFields), schema: schema, options: options, logger: logger)
    }
}
