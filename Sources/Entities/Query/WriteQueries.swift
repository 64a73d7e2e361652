public import LibPQ

/// A statement that changes rows: ``InsertQuery``, ``UpdateQuery`` and ``DeleteQuery``. Run it alone, or
/// read the rows it changed, with their relations, through ``SelectQuery/init(from:)``.
public protocol EntityWriteQuery: Sendable {
    /// The table written to.
    var tableName: String { get }
    /// Writes the statement (no `RETURNING`) into `query`.
    func render(into query: inout PostgresQuery, usage: inout OperandUsage) throws
}

extension EntityWriteQuery {
    /// The statement and its binds.
    public func build() throws -> PostgresQuery {
        try OperandUsage.build { query, usage in try render(into: &query, usage: &usage) }
    }

    /// The SQL text (empty when the query cannot be built).
    public var sql: String { (try? build().sql) ?? "" }
}

/// ``UpdateQuery`` and ``DeleteQuery``: statements whose result is the number of rows they changed.
public protocol EntityRowCountQuery: EntityWriteQuery {}

extension EntityRowCountQuery {
    /// Runs the statement; returns the number of rows it updated or deleted.
    @discardableResult
    public func run(on connection: some PostgresQueryable) async throws -> Int {
        try await connection.query(build()).affectedRows
    }
}

/// An `INSERT` of one row: the values of an entity (``Entity/insert(_:)``; ``run(on:)`` returns the stored
/// row, generated id and dates included), or, for a statement built once, column values given one by one
/// as ``QueryParameter``s and constants (``Entity/values()``).
///
/// ```swift
/// let stored = try await Session.insert(Session(token: token, expires: expiry)).run(on: connection)
/// let template = AuthenticatedSession.values()
///     .set(\.token, to: QueryParameter<String>(1)).set(\.expires, to: QueryParameter<Date>(2))
/// ```
public struct InsertQuery<Root: Entity>: EntityWriteQuery {
    let info = EntityTableInfo(Root.self)
    var values: [(column: String, value: Operand)]
    var problems: [String] = []

    /// Inserts `entity`.
    public init(_ entity: Root) { values = entity.insertValues.map { ($0.column, .bind($0.value)) } }

    init(values: [(column: String, value: Operand)]) { self.values = values }

    public var tableName: String { info.table }

    /// Sets a column to a parameter of the statement.
    public func set<V>(_ keyPath: KeyPath<Root, V>, to value: QueryParameter<V>) -> Self {
        set(keyPath, value.operand)
    }

    /// Sets a column to a constant.
    public func set<V>(_ keyPath: KeyPath<Root, V>, to value: SQLLiteral) -> Self {
        set(keyPath, .sql(value.sql))
    }

    /// Sets a column that no key path names (a column added by configuration) to a parameter.
    public func set<V>(column: String, to value: QueryParameter<V>) -> Self {
        var copy = self
        copy.values.append((column, value.operand))
        return copy
    }

    /// Sets the discriminator column of `Root`'s hierarchy to a parameter (one statement inserting rows
    /// of several kinds).
    public func setDiscriminator(to value: QueryParameter<String>) -> Self {
        guard let column = info.discriminatorColumn else {
            var copy = self
            copy.problems.append("\(Root.self) has no discriminator column")
            return copy
        }
        var copy = self
        copy.values.removeAll { $0.column == column }
        copy.values.insert((column, value.operand), at: 0)
        return copy
    }

    private func set(_ keyPath: PartialKeyPath<Root>, _ operand: Operand) -> Self {
        var copy = self
        if let column = Root.column(for: keyPath) {
            copy.values.append((column, operand))
        } else {
            copy.problems.append("\(keyPath) is not a column of \(Root.self)")
        }
        return copy
    }

    public func render(into query: inout PostgresQuery, usage: inout OperandUsage) throws {
        if let problem = problems.first { throw EntityQueryError(problem) }
        query.appendUnescaped("INSERT INTO ")
        query.appendIdentifier(info.table)
        if values.isEmpty {
            query.appendUnescaped(" DEFAULT VALUES")
            return
        }
        query.appendUnescaped(" (")
        for (i, value) in values.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            query.appendIdentifier(value.column)
        }
        query.appendUnescaped(") VALUES (")
        for (i, value) in values.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            value.value.render(into: &query, usage: &usage)
        }
        query.appendUnescaped(")")
    }

    /// The statement with `RETURNING` the entity's columns, and its binds.
    public func build() throws -> PostgresQuery {
        var query = try OperandUsage.build { query, usage in try render(into: &query, usage: &usage) }
        query.appendUnescaped(" RETURNING ")
        for (i, column) in info.selectColumns.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            query.appendIdentifier(column)
        }
        return query
    }

    /// The SQL text.
    public var sql: String { (try? build().sql) ?? "" }

    /// Inserts and returns the stored entity.
    public func run(on connection: some PostgresQueryable) async throws -> Root {
        let rows = try await connection.query(build())
        guard let row = rows.first else { throw EntityQueryError("INSERT into \(info.table) returned no row") }
        return try Root(row: row)
    }
}

/// An `UPDATE` of chosen columns of the rows matching a condition.
///
/// ```swift
/// let count = try await Session.update().set(\.expires, to: expiry).where(\.id == id).run(on: connection)
/// ```
public struct UpdateQuery<Root: Entity>: EntityRowCountQuery {
    let info = EntityTableInfo(Root.self)
    var assignments: [(column: String, value: Operand)] = []
    var whereClause = WhereClause<Root>()
    var problems: [String] = []

    /// Starts an update of every row (add ``where(_:)``).
    public init() {}

    public var tableName: String { info.table }

    /// Sets a column to a value (a bind).
    public func set<V: PostgresEncodable>(_ keyPath: KeyPath<Root, V>, to value: V) -> Self {
        set(keyPath, .bind(value))
    }

    /// Sets a column to a parameter of the statement.
    public func set<V>(_ keyPath: KeyPath<Root, V>, to value: QueryParameter<V>) -> Self {
        set(keyPath, value.operand)
    }

    /// Sets a column to a constant (`true`, `NULL`...).
    public func set<V>(_ keyPath: KeyPath<Root, V>, to value: SQLLiteral) -> Self {
        set(keyPath, .sql(value.sql))
    }

    private func set(_ keyPath: PartialKeyPath<Root>, _ operand: Operand) -> Self {
        var copy = self
        if let column = Root.column(for: keyPath) {
            copy.assignments.append((column, operand))
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

    public func render(into query: inout PostgresQuery, usage: inout OperandUsage) throws {
        if let problem = problems.first { throw EntityQueryError(problem) }
        guard !assignments.isEmpty else { throw EntityQueryError("an UPDATE of \(info.table) sets no column") }
        query.appendUnescaped("UPDATE ")
        query.appendIdentifier(info.table)
        query.appendUnescaped(" SET ")
        for (i, assignment) in assignments.enumerated() {
            if i > 0 { query.appendUnescaped(", ") }
            query.appendIdentifier(assignment.column)
            query.appendUnescaped(" = ")
            assignment.value.render(into: &query, usage: &usage)
        }
        try whereClause.render(into: &query, info: info, usage: &usage)
    }
}

/// A `DELETE` of the rows matching a condition.
///
/// ```swift
/// let count = try await Session.delete().where(\.expires < now).run(on: connection)
/// ```
public struct DeleteQuery<Root: Entity>: EntityRowCountQuery {
    let info = EntityTableInfo(Root.self)
    var whereClause = WhereClause<Root>()

    /// Starts a delete of every row (add ``where(_:)``).
    public init() {}

    public var tableName: String { info.table }

    /// Adds a condition (several are joined with `AND`).
    public func `where`(_ predicate: EntityPredicate<Root>) -> Self {
        var copy = self
        copy.whereClause.add(predicate)
        return copy
    }

    public func render(into query: inout PostgresQuery, usage: inout OperandUsage) throws {
        query.appendUnescaped("DELETE FROM ")
        query.appendIdentifier(info.table)
        try whereClause.render(into: &query, info: info, usage: &usage)
    }
}

extension Entity {
    /// A select of this entity's rows.
    public static func select() -> SelectQuery<Self> { SelectQuery() }
    /// An insert of `entity`, returning the stored row.
    public static func insert(_ entity: Self) -> InsertQuery<Self> { InsertQuery(entity) }
    /// An insert whose column values are given one by one (``InsertQuery/set(_:to:)-(_,QueryParameter<V>)``),
    /// for a statement built once; a child entity's discriminator is set to its value.
    public static func values() -> InsertQuery<Self> {
        let info = EntityTableInfo(Self.self)
        guard let column = info.discriminatorColumn, let value = info.discriminatorValue else {
            return InsertQuery(values: [])
        }
        return InsertQuery(values: [(column, .sql(SQLLiteral(value).sql))])
    }
    /// An update of this entity's rows.
    public static func update() -> UpdateQuery<Self> { UpdateQuery() }
    /// A delete of this entity's rows.
    public static func delete() -> DeleteQuery<Self> { DeleteQuery() }
}
