public import LibPQ

/// A `SELECT` of an entity, with conditions, left joins along `@ManyToOne` relations (decoded into the
/// related entities in the same round trip), order and limit.
///
/// ```swift
/// let sessions = try await Session.select()
///     .where(\.token == token && \.invalidated == false)
///     .join(\.activeOrder)
///     .join(\.activeChannel)
///     .order(by: \.expires, .descending)
///     .limit(10)
///     .all(on: connection)
/// ```
///
/// Selecting a child entity (`AuthenticatedSession`) adds `"session"."type" = $n`; selecting the root of a
/// hierarchy returns rows of every kind (see ``variants(on:)`` for the typed kinds).
public struct SelectQuery<Root: Entity>: Sendable {
    /// A sort direction.
    public enum Direction: String, Sendable {
        case ascending = "ASC"
        case descending = "DESC"
    }

    struct Join: Sendable {
        var alias: String
        var table: String
        var joinColumn: String
        var targetKey: String
        var columns: [String]
        var apply: @Sendable (inout Root, PostgresRow) throws -> Void
    }

    let info = EntityTableInfo(Root.self)
    var whereClause = WhereClause<Root>()
    var joins: [Join] = []
    var orderings: [(column: String, direction: Direction)] = []
    var limitCount: Int?
    var offsetCount: Int?
    var extraColumns: [String] = []
    var problems: [String] = []

    /// Starts a select of every row.
    public init() {}

    /// Adds a condition (several are joined with `AND`).
    public func `where`(_ predicate: EntityPredicate<Root>) -> Self {
        var copy = self
        copy.whereClause.add(predicate)
        return copy
    }

    /// Left-joins the relation held by `keyPath` (a `@ManyToOne` property) and fills it in; a NULL join
    /// column, or no matching row, leaves it nil.
    public func join<Target: Entity>(_ keyPath: any WritableKeyPath<Root, Target?> & Sendable) -> Self {
        var copy = self
        let candidates = EntityTableInfo.relations(of: Root.self).filter { $0.target == Target.self }
        let named = candidates.filter { "\(keyPath)".hasSuffix(".\($0.propertyName)") }
        guard let relation = candidates.count == 1 ? candidates.first : named.first else {
            copy.problems.append("\(keyPath) is not a @ManyToOne relation of \(Root.self) to \(Target.self)")
            return copy
        }
        let target = EntityTableInfo(Target.self)
        guard target.primaryKey.count == 1, !joins.contains(where: { $0.alias == relation.propertyName }) else {
            copy.problems.append("\(keyPath) cannot be joined (composite key, or joined twice)")
            return copy
        }
        let alias = relation.propertyName
        let key = target.primaryKey[0]
        copy.joins.append(
            Join(
                alias: alias, table: target.table, joinColumn: relation.joinColumn, targetKey: key,
                columns: target.selectColumns,
                apply: { entity, row in
                    let scoped = row.scoped(to: alias + ".")
                    guard let index = scoped.columnIndex(named: key), !row.isNull(at: index) else {
                        entity[keyPath: keyPath] = nil
                        return
                    }
                    entity[keyPath: keyPath] = try Target(row: scoped)
                }))
        return copy
    }

    /// Sorts by a column (several calls sort by several columns, in call order).
    public func order<V>(by keyPath: KeyPath<Root, V>, _ direction: Direction = .ascending) -> Self {
        var copy = self
        if let column = Root.column(for: keyPath) {
            copy.orderings.append((column, direction))
        } else {
            copy.problems.append("\(keyPath) is not a column of \(Root.self)")
        }
        return copy
    }

    /// Returns at most `count` rows (`LIMIT $n`).
    public func limit(_ count: Int) -> Self {
        var copy = self
        copy.limitCount = count
        return copy
    }

    /// Skips `count` rows (`OFFSET $n`).
    public func offset(_ count: Int) -> Self {
        var copy = self
        copy.offsetCount = count
        return copy
    }

    /// Also selects the columns of other entities of the same table (the children of a hierarchy).
    func including(columnsOf entities: [any Entity.Type]) -> Self {
        var copy = self
        for entity in entities {
            for column in entity.columnNames where !copy.info.selectColumns.contains(column) && !copy.extraColumns.contains(column) {
                copy.extraColumns.append(column)
            }
        }
        return copy
    }

    /// The statement and its binds.
    public func build() throws -> PostgresQuery {
        if let problem = problems.first { throw EntityQueryError(problem) }
        var query = PostgresQuery(unsafeSQL: "SELECT ")
        var first = true
        for column in info.selectColumns + extraColumns {
            if !first { query.appendUnescaped(", ") }
            first = false
            query.appendColumn(column, of: info.table)
        }
        for join in joins {
            for column in join.columns {
                query.appendUnescaped(", ")
                query.appendColumn(column, of: join.alias)
                query.appendUnescaped(" AS ")
                query.appendIdentifier(join.alias + "." + column)
            }
        }
        query.appendUnescaped(" FROM ")
        query.appendIdentifier(info.table)
        for join in joins {
            query.appendUnescaped(" LEFT JOIN ")
            query.appendIdentifier(join.table)
            query.appendUnescaped(" AS ")
            query.appendIdentifier(join.alias)
            query.appendUnescaped(" ON ")
            query.appendColumn(join.targetKey, of: join.alias)
            query.appendUnescaped(" = ")
            query.appendColumn(join.joinColumn, of: info.table)
        }
        try whereClause.render(into: &query, info: info)
        if !orderings.isEmpty {
            query.appendUnescaped(" ORDER BY ")
            for (i, ordering) in orderings.enumerated() {
                if i > 0 { query.appendUnescaped(", ") }
                query.appendColumn(ordering.column, of: info.table)
                query.appendUnescaped(" " + ordering.direction.rawValue)
            }
        }
        if let limitCount {
            query.appendUnescaped(" LIMIT ")
            query.appendBind(limitCount)
        }
        if let offsetCount {
            query.appendUnescaped(" OFFSET ")
            query.appendBind(offsetCount)
        }
        return query
    }

    /// The SQL text (empty when the query cannot be built).
    public var sql: String { (try? build().sql) ?? "" }

    /// Decodes one row: the entity, then its joined relations.
    func decode(_ row: PostgresRow) throws -> Root {
        var entity = try Root(row: row)
        for join in joins { try join.apply(&entity, row) }
        return entity
    }

    /// Runs the query and decodes every row.
    public func all(on connection: some PostgresQueryable) async throws -> [Root] {
        try await connection.query(build()).map(decode)
    }

    /// Runs the query and decodes the first row, if any (add ``limit(_:)`` to fetch only one).
    public func first(on connection: some PostgresQueryable) async throws -> Root? {
        let rows = try await connection.query(build())
        return try rows.first.map(decode)
    }

    /// Runs the query and decodes every row, with the value of the discriminator column (nil for a table
    /// without inheritance).
    public func allWithDiscriminator(on connection: some PostgresQueryable) async throws -> [(entity: Root, discriminator: String?)] {
        let column = info.discriminatorColumn
        return try await connection.query(build()).map { row in
            (try decode(row), try column.map { try row.decode(String.self, column: $0) })
        }
    }
}

extension SelectQuery where Root: PolymorphicEntity {
    /// Runs the query selecting the columns of every kind, and decodes each row as the kind its
    /// discriminator names (`AnySession.authenticated(...)`), joined relations filled in.
    public func variants(on connection: some PostgresQueryable) async throws -> [Root.Variant] {
        let query = including(columnsOf: Root.variantTypes)
        let column = info.discriminatorColumn ?? ""
        return try await connection.query(query.build()).map { row in
            let base = try query.decode(row)
            return try Root.variant(decoding: row, discriminator: row.decode(String.self, column: column), base: base)
        }
    }
}

/// The root of a single-table hierarchy whose rows decode into one of its kinds.
public protocol PolymorphicEntity: Entity {
    /// The kinds, for example an enum with a case per child entity.
    associatedtype Variant: Sendable
    /// The child entities whose columns a polymorphic select reads.
    static var variantTypes: [any Entity.Type] { get }
    /// Decodes a row as the kind `discriminator` names; `base` is the root entity already decoded from the
    /// row, joined relations included.
    static func variant(decoding row: PostgresRow, discriminator: String, base: Self) throws -> Variant
}

extension ChildEntity {
    /// Decodes the child's own columns from `row` and takes `base` as its parent part.
    public static func decode(row: PostgresRow, base: Parent) throws -> Self {
        var child = try Self(row: row)
        child.base = base
        return child
    }
}
