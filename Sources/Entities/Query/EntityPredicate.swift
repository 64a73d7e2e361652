public import LibPQ

/// A `WHERE` condition over an entity's columns, written with key paths:
/// `\.token == token`, `\.expires < now`, `.in(\.id, ids)`, `.isNull(\.activeOrderId)`, combined with
/// `&&`, `||` and `!`. Every value becomes a bind, so the SQL text depends only on the condition's shape;
/// compare with a ``QueryParameter`` (`\.token == QueryParameter<String>(1)`) or an ``SQLLiteral`` to build a
/// statement once and run it with different binds.
public struct EntityPredicate<Root: Entity>: Sendable {
    typealias Node = PredicateNode

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
        column(keyPath) { .anyOf(column: $0, values: .bind(values), negated: false) }
    }

    /// `column IN (SELECT ...)`: the subquery selects one column (see ``SelectQuery/selecting(_:)``).
    public static func `in`<V, Other: Entity>(_ keyPath: KeyPath<Root, V>, _ subquery: SelectQuery<Other>) -> EntityPredicate {
        column(keyPath) { column in
            .inSubquery(column: column) { query, usage in try subquery.render(into: &query, usage: &usage) }
        }
    }

    /// A condition on a relation joined into the statement (``SelectQuery/join(_:selecting:)-(WritableKeyPath<Root,Target?>Sendable,_)``): it is
    /// written with the join's alias, `"user"."deletedAt" IS NULL`. A relation that is not joined makes the
    /// statement fail to build.
    public static func joined<Source: Entity, Target: Entity>(
        _ relation: KeyPath<Source, Target?>, _ predicate: EntityPredicate<Target>
    ) -> EntityPredicate {
        // The relation's alias is its property name: the only relation of `Source` to `Target`, or the one
        // the key path names.
        let candidates = EntityTableInfo.relations(of: Source.self).filter { $0.target == Target.self }
        let name =
            candidates.count == 1 ? candidates[0].propertyName : SelectQuery<Source>.propertyName(of: relation)
        return EntityPredicate(.joined(relation: name, predicate.node))
    }

    /// `NOT (column = ANY($n))`.
    public static func notIn<V>(_ keyPath: KeyPath<Root, V>, _ values: [V]) -> EntityPredicate
    where [V]: PostgresEncodable {
        column(keyPath) { .anyOf(column: $0, values: .bind(values), negated: true) }
    }

    /// Rows of the child entity `Child` (its discriminator value): `"session"."type" = 'AnonymousSession'`.
    public static func `is`<Child: ChildEntity>(_ type: Child.Type) -> EntityPredicate where Child.Parent == Root {
        let info = EntityTableInfo(Child.self)
        guard let column = info.discriminatorColumn, let value = info.discriminatorValue else {
            return EntityPredicate(.invalid("\(Child.self) has no discriminator value"))
        }
        return EntityPredicate(.compare(column: column, op: "=", value: .sql(SQLLiteral(value).sql)))
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

    /// Appends the condition to `query`, columns qualified with `table`; conditions on joined relations
    /// with the relation's alias when `joins` lists it.
    func render(into query: inout PostgresQuery, table: String, joins: Set<String> = [], usage: inout OperandUsage) throws {
        try PredicateNode.render(node, into: &query, table: table, joins: joins, usage: &usage)
    }

}

/// The shape of a condition (column names are resolved when it is made).
indirect enum PredicateNode: Sendable {
    case compare(column: String, op: String, value: Operand)
    case isNull(column: String, negated: Bool)
    case anyOf(column: String, values: Operand, negated: Bool)
    /// A condition on the columns of a joined relation (rendered with the join's alias).
    case joined(relation: String, PredicateNode)
    /// `column IN (subquery)`.
    case inSubquery(column: String, render: @Sendable (inout PostgresQuery, inout OperandUsage) throws -> Void)
    case and(PredicateNode, PredicateNode)
    case or(PredicateNode, PredicateNode)
    case not(PredicateNode)
    case invalid(String)
}

extension PredicateNode {
    static func render(
        _ node: PredicateNode, into query: inout PostgresQuery, table: String, joins: Set<String>, usage: inout OperandUsage
    ) throws {
        func column(_ name: String) {
            query.appendIdentifier(table)
            query.appendUnescaped(".")
            query.appendIdentifier(name)
        }
        switch node {
        case .compare(let name, let op, let value):
            column(name)
            query.appendUnescaped(" \(op) ")
            value.render(into: &query, usage: &usage)
        case .isNull(let name, let negated):
            column(name)
            query.appendUnescaped(negated ? " IS NOT NULL" : " IS NULL")
        case .anyOf(let name, let values, let negated):
            if negated { query.appendUnescaped("NOT (") }
            column(name)
            query.appendUnescaped(" = ANY(")
            values.render(into: &query, usage: &usage)
            query.appendUnescaped(negated ? "))" : ")")
        case .and(let lhs, let rhs), .or(let lhs, let rhs):
            let isAnd = if case .and = node { true } else { false }
            query.appendUnescaped("(")
            try render(lhs, into: &query, table: table, joins: joins, usage: &usage)
            query.appendUnescaped(isAnd ? " AND " : " OR ")
            try render(rhs, into: &query, table: table, joins: joins, usage: &usage)
            query.appendUnescaped(")")
        case .not(let inner):
            query.appendUnescaped("NOT (")
            try render(inner, into: &query, table: table, joins: joins, usage: &usage)
            query.appendUnescaped(")")
        case .joined(let relation, let inner):
            guard joins.contains(relation) else {
                throw EntityQueryError("a condition names the relation \(relation), which the statement does not join")
            }
            try render(inner, into: &query, table: relation, joins: joins, usage: &usage)
        case .inSubquery(let name, let renderSubquery):
            column(name)
            query.appendUnescaped(" IN (")
            try renderSubquery(&query, &usage)
            query.appendUnescaped(")")
        case .invalid(let message):
            throw EntityQueryError(message)
        }
    }
}

/// `column = $n`.
public func == <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "=", value: .bind(rhs)) }
}

/// `column = $n` with a parameter of the statement.
public func == <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "=", value: rhs.operand) }
}

/// `column = constant`.
public func == <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: SQLLiteral) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "=", value: .sql(rhs.sql)) }
}

/// `column <> $n`.
public func != <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<>", value: .bind(rhs)) }
}

/// `column <> $n` with a parameter of the statement.
public func != <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<>", value: rhs.operand) }
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
    .column(lhs) { .compare(column: $0, op: "<", value: .bind(rhs)) }
}

/// `column < $n` with a parameter of the statement.
public func < <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<", value: rhs.operand) }
}

/// `column <= $n`.
public func <= <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<=", value: .bind(rhs)) }
}

/// `column <= $n` with a parameter of the statement.
public func <= <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: "<=", value: rhs.operand) }
}

/// `column > $n`.
public func > <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">", value: .bind(rhs)) }
}

/// `column > $n` with a parameter of the statement.
public func > <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">", value: rhs.operand) }
}

/// `column >= $n`.
public func >= <Root: Entity, V: PostgresEncodable>(lhs: KeyPath<Root, V>, rhs: V) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">=", value: .bind(rhs)) }
}

/// `column >= $n` with a parameter of the statement.
public func >= <Root: Entity, V>(lhs: KeyPath<Root, V>, rhs: QueryParameter<V>) -> EntityPredicate<Root> {
    .column(lhs) { .compare(column: $0, op: ">=", value: rhs.operand) }
}

/// A query that cannot be built: a key path that is not a column, a relation that cannot be joined.
public struct EntityQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { "EntityQueryError: \(message)" }
}
