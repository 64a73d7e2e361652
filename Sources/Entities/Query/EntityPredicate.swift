public import LibPQ

/// A `WHERE` condition over an entity's columns, written with key paths:
/// `\.token == token`, `\.expires < now`, `.in(\.id, ids)`, `.isNull(\.activeOrderId)`, combined with
/// `&&`, `||` and `!`. Every value becomes a bind; the SQL text depends only on the condition's shape.
public struct EntityPredicate<Root: Entity>: Sendable {
    indirect enum Node: Sendable {
        case compare(column: String, op: String, value: any PostgresEncodable)
        case isNull(column: String, negated: Bool)
        case anyOf(column: String, values: any PostgresEncodable, negated: Bool)
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case invalid(String)
    }

    let node: Node

    init(_ node: Node) { self.node = node }

    /// Resolves a key path to its column, or records the problem (thrown when the query is built).
    static func column(_ keyPath: PartialKeyPath<Root>, _ body: (String) -> Node) -> EntityPredicate {
        guard let column = Root.column(for: keyPath) else {
            return EntityPredicate(.invalid("\(keyPath) is not a column of \(Root.self)"))
        }
        return EntityPredicate(body(column))
    }

    /// `column IS NULL`.
    public static func isNull<V>(_ keyPath: KeyPath<Root, V?>) -> EntityPredicate {
        column(keyPath) { .isNull(column: $0, negated: false) }
    }

    /// `column IS NOT NULL`.
    public static func isNotNull<V>(_ keyPath: KeyPath<Root, V?>) -> EntityPredicate {
        column(keyPath) { .isNull(column: $0, negated: true) }
    }

    /// `column = ANY($n)`: one array bind, so the SQL text is the same for any number of values.
    public static func `in`<V>(_ keyPath: KeyPath<Root, V>, _ values: [V]) -> EntityPredicate
    where [V]: PostgresEncodable {
        column(keyPath) { .anyOf(column: $0, values: values, negated: false) }
    }

    /// `NOT (column = ANY($n))`.
    public static func notIn<V>(_ keyPath: KeyPath<Root, V>, _ values: [V]) -> EntityPredicate
    where [V]: PostgresEncodable {
        column(keyPath) { .anyOf(column: $0, values: values, negated: true) }
    }

    /// Both conditions.
    public static func && (lhs: EntityPredicate, rhs: EntityPredicate) -> EntityPredicate {
        EntityPredicate(.and(lhs.node, rhs.node))
    }

    /// Either condition.
    public static func || (lhs: EntityPredicate, rhs: EntityPredicate) -> EntityPredicate {
        EntityPredicate(.or(lhs.node, rhs.node))
    }

    /// The negation.
    public static prefix func ! (predicate: EntityPredicate) -> EntityPredicate {
        EntityPredicate(.not(predicate.node))
    }

    /// Appends the condition to `query`, columns qualified with `table`.
    func render(into query: inout PostgresQuery, table: String) throws {
        try Self.render(node, into: &query, table: table)
    }

    private static func render(_ node: Node, into query: inout PostgresQuery, table: String) throws {
        func column(_ name: String) {
            query.appendIdentifier(table)
            query.appendUnescaped(".")
            query.appendIdentifier(name)
        }
        switch node {
        case .compare(let name, let op, let value):
            column(name)
            query.appendUnescaped(" \(op) ")
            query.appendBind(value)
        case .isNull(let name, let negated):
            column(name)
            query.appendUnescaped(negated ? " IS NOT NULL" : " IS NULL")
        case .anyOf(let name, let values, let negated):
            if negated { query.appendUnescaped("NOT (") }
            column(name)
            query.appendUnescaped(" = ANY(")
            query.appendBind(values)
            query.appendUnescaped(negated ? "))" : ")")
        case .and(let lhs, let rhs), .or(let lhs, let rhs):
            let isAnd = if case .and = node { true } else { false }
            query.appendUnescaped("(")
            try render(lhs, into: &query, table: table)
            query.appendUnescaped(isAnd ? " AND " : " OR ")
            try render(rhs, into: &query, table: table)
            query.appendUnescaped(")")
        case .not(let inner):
            query.appendUnescaped("NOT (")
            try render(inner, into: &query, table: table)
            query.appendUnescaped(")")
        case .invalid(let message):
            throw EntityQueryError(message)
        }
    }
}

/// `column = $n`.
public func == <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "=", value: rhs) }
}

/// `column <> $n`.
public func != <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<>", value: rhs) }
}

/// `column IS NULL` (comparing with the `nil` literal).
public func == <Root: Entity, V>(lhs: KeyPath<Root, V?>, rhs: _OptionalNilComparisonType) -> EntityPredicate<Root> {
    .isNull(lhs)
}

/// `column IS NOT NULL` (comparing with the `nil` literal).
public func != <Root: Entity, V>(lhs: KeyPath<Root, V?>, rhs: _OptionalNilComparisonType) -> EntityPredicate<Root> {
    .isNotNull(lhs)
}

/// `column < $n`.
public func < <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<", value: rhs) }
}

/// `column <= $n`.
public func <= <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<=", value: rhs) }
}

/// `column > $n`.
public func > <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">", value: rhs) }
}

/// `column >= $n`.
public func >= <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">=", value: rhs) }
}

/// A query that cannot be built: a key path that is not a column, a relation that cannot be joined.
public struct EntityQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { "EntityQueryError: \(message)" }
}
