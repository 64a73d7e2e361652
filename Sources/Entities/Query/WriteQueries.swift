public import LibPQ

/// An `INSERT ... RETURNING` of one entity: the whole row comes back, the generated id and dates included.
///
/// ```swift
/// let stored = try await Session.insert(Session(token: token, expires: expiry)).run(on: connection)
/// ```
public struct InsertQuery<Root: Entity>: Sendable {
    let info = EntityTableInfo(Root.self)
    let values: [ColumnValue]

    /// Inserts `entity`.
    public init(_ entity: Root) { values = entity.insertValues }

    /// The statement and its binds.
    public func build() -> PostgresQuery {
        var query = PostgresQuery(unsafeSQL: "INSERT INTO ")
        query.appendIdentifier(info.table)
        if values.isEmpty {
            query.appendUnescaped(" DEFAULT VALUES")
        } else {
            query.appendUnescaped(" (")
            for (i, value) in values.enumerated() {
                if i > 0 { query.appendUnescaped(", ") }
                query.appendIdentifier(value.column)
            }
            query.appendUnescaped(") VALUES (")
            for (i, value) in values.enumerated() {
                if i > 0 { query.appendUnescaped(", ") }
                query.appendBind(value.value)
            }
            query.appendUnescaped(")")
        }
        query.appendUnescaped(" RETURNING ")
        for (i, column) in info.selectColumns.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            query.appendIdentifier(column)
        }
        return query
    }

    /// The SQL text.
    public var sql: String { build().sql }

    /// Inserts and returns the stored entity.
    public func run(on connection: some PostgresQueryable) async throws -> Root {
        let rows = try await connection.query(build())
        guard let row = rows.first else { throw EntityQueryError("INSERT into \(info.table) returned no row") }
        return try Root(row: row)
    }
}

/// A statement that changes rows and reports how many: ``UpdateQuery`` and ``DeleteQuery``.
public protocol EntityWriteQuery: Sendable {
    /// The statement and its binds.
    func build() throws -> PostgresQuery
    /// The SQL text (empty when the query cannot be built).
    var sql: String { get }
    /// Runs the statement; returns the number of rows it updated or deleted.
    @discardableResult
    func run(on connection: some PostgresQueryable) async throws -> Int
}

extension EntityWriteQuery {
    /// The SQL text (empty when the query cannot be built).
    public var sql: String { (try? build().sql) ?? "" }

    /// Runs the statement; returns the number of rows it updated or deleted.
    @discardableResult
    public func run(on connection: some PostgresQueryable) async throws -> Int {
        try await connection.query(build()).affectedRows
    }
}

/// An `UPDATE` of chosen columns of the rows matching a condition.
///
/// ```swift
/// let count = try await Session.update().set(\.expires, to: expiry).where(\.id == id).run(on: connection)
/// ```
public struct UpdateQuery<Root: Entity>: EntityWriteQuery {
    let info = EntityTableInfo(Root.self)
    var assignments: [ColumnValue] = []
    var whereClause = WhereClause<Root>()
    var problems: [String] = []

    /// Starts an update of every row (add ``where(_:)``).
    public init() {}

    /// Sets a column.
    public func set<V: PostgresEncodable>(_ keyPath: KeyPath<Root, V>, to value: V) -> Self {
        var copy = self
        if let column = Root.column(for: keyPath) {
            copy.assignments.append(ColumnValue(column, value))
        } else {
            copy.problems.append("\(keyPath) is not a column of \(Root.self)")
        }
        return copy
    }

    /// Adds a condition (several are joined with `AND`).
    public func `where`(_ predicate: EntityPredicate<Root>) -> Self {
        var copy = self
        copy.whereClause.add(predicate)
        return copy
    }

    /// The statement and its binds.
    public func build() throws -> PostgresQuery {
        if let problem = problems.first { throw EntityQueryError(problem) }
        guard !assignments.isEmpty else { throw EntityQueryError("an UPDATE of \(info.table) sets no column") }
        var query = PostgresQuery(unsafeSQL: "UPDATE ")
        query.appendIdentifier(info.table)
        query.appendUnescaped(" SET ")
        for (i, assignment) in assignments.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            query.appendIdentifier(assignment.column)
            query.appendUnescaped(" = ")
            query.appendBind(assignment.value)
        }
        try whereClause.render(into: &query, info: info)
        return query
    }
}

/// A `DELETE` of the rows matching a condition.
///
/// ```swift
/// let count = try await Session.delete().where(\.expires < now).run(on: connection)
/// ```
public struct DeleteQuery<Root: Entity>: EntityWriteQuery {
    let info = EntityTableInfo(Root.self)
    var whereClause = WhereClause<Root>()

    /// Starts a delete of every row (add ``where(_:)``).
    public init() {}

    /// Adds a condition (several are joined with `AND`).
    public func `where`(_ predicate: EntityPredicate<Root>) -> Self {
        var copy = self
        copy.whereClause.add(predicate)
        return copy
    }

    /// The statement and its binds.
    public func build() throws -> PostgresQuery {
        var query = PostgresQuery(unsafeSQL: "DELETE FROM ")
        query.appendIdentifier(info.table)
        try whereClause.render(into: &query, info: info)
        return query
    }
}

extension Entity {
    /// A select of this entity's rows.
    public static func select() -> SelectQuery<Self> { SelectQuery() }
    /// An insert of `entity`, returning the stored row.
    public static func insert(_ entity: Self) -> InsertQuery<Self> { InsertQuery(entity) }
    /// An update of this entity's rows.
    public static func update() -> UpdateQuery<Self> { UpdateQuery() }
    /// A delete of this entity's rows.
    public static func delete() -> DeleteQuery<Self> { DeleteQuery() }
}
