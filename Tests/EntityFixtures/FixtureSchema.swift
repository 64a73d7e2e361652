@_exported import Entities
import Foundation

// The test fixtures: a shop's session, user, order and channel tables, declared as an application built on
// TypeORM declares them (the shapes of Vendure's), to exercise the generic layer: single-table inheritance,
// relations, embedded columns, and columns registered after the decorators (ids and foreign ids).

extension ColumnMetadata.Registration {
    /// An id registered at bootstrap.
    public static let lateID = deferred(1)
    /// Foreign ids registered at bootstrap, after the ids.
    public static let lateForeignID = deferred(2)
}

/// The fixture entities, in the order their tables are created.
public enum FixtureSchema {
    public static let entities: [any Entity.Type] = [
        Session.self, AnonymousSession.self, AuthenticatedSession.self, User.self, Order.self, Channel.self,
    ]

    public static func ddl() throws(SchemaError) -> [String] { try SchemaGenerator.ddl(for: entities) }

    public static func sql() throws(SchemaError) -> String { try SchemaGenerator.sql(for: entities) }
}

/// The fixtures' base (an application's `BaseEntity`): an `Int` id and the two dates.
public protocol FixtureEntity: Entity where PrimaryKey == Int {
    var id: Int? { get set }
    var createdAt: Date? { get set }
    var updatedAt: Date? { get set }
}

extension Session: FixtureEntity {}
extension User: FixtureEntity {}
extension Order: FixtureEntity {}
extension Channel: FixtureEntity {}
