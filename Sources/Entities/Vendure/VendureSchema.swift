/// The entities of this package, in the order their tables are created.
public enum VendureSchema {
    /// `session` (with its two children), `user`, `order`, `channel`.
    public static let entities: [any Entity.Type] = [
        Session.self, AnonymousSession.self, AuthenticatedSession.self, User.self, Order.self, Channel.self,
    ]

    /// The DDL statements of ``entities``.
    public static func ddl() throws(SchemaError) -> [String] { try SchemaGenerator.ddl(for: entities) }

    /// The DDL script of ``entities``, as checked in at `sql/schema.sql`.
    public static func sql() throws(SchemaError) -> String { try SchemaGenerator.sql(for: entities) }
}
