import LibPQ
import Foundation

/// A `$n` parameter of a statement built once and run many times with different binds: the builder writes
/// `$n` (with a cast when given) instead of binding a value, so the statement's text is constant and the
/// server's prepared plan is reused.
///
/// ```swift
/// let byToken = try Session.select().where(\.token == QueryParameter<String>(1)).prepare()
/// var binds = PostgresBindings()
/// binds.append(token)
/// let rows = try await pool.query(byToken.query(binds: binds))
/// ```
///
/// A statement uses either parameters or bound values, never both (building one that mixes them throws).
public struct QueryParameter<Value>: Sendable {
    /// The 1-based parameter number.
    public let index: Int
    /// A type to cast to (`$4::text`), for parameters whose type the server cannot infer.
    public let cast: String?

    /// Parameter `$index`, cast to `cast` when given.
    public init(_ index: Int, as cast: String? = nil) {
        self.index = index
        self.cast = cast
    }

    var operand: Operand { .parameter(index, cast: cast) }
}

/// A constant written into the statement's text: `true`, `false`, `NULL`, a quoted string.
public struct SQLLiteral: Sendable, Hashable {
    let sql: String

    /// `true`.
    public static let `true` = SQLLiteral(sql: "true")
    /// `false`.
    public static let `false` = SQLLiteral(sql: "false")
    /// `NULL`.
    public static let null = SQLLiteral(sql: "NULL")

    init(sql: String) { self.sql = sql }

    /// A string constant, quoted and escaped: `'AnonymousSession'`.
    public init(_ string: String) {
        self.sql = "'" + string.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A boolean constant.
    public init(_ value: Bool) { self.sql = value ? "true" : "false" }
}

/// What a comparison, an assignment or a value list holds: a bound value, a `$n` parameter, or SQL text.
enum Operand: Sendable {
    case bind(any PostgresEncodable)
    case parameter(Int, cast: String?)
    case sql(String)

    func render(into query: inout PostgresQuery, usage: inout OperandUsage) {
        switch self {
        case .bind(let value):
            usage.binds = true
            query.appendBind(value)
        case .parameter(let index, let cast):
            usage.parameters = true
            query.appendUnescaped("$\(index)" + (cast.map { "::" + $0 } ?? ""))
        case .sql(let text):
            query.appendUnescaped(text)
        }
    }
}

/// What a statement being written uses: bound values, `$n` parameters, or both (an error: the numbers
/// would clash). Passed through ``EntityWriteQuery/render(into:usage:)``.
public struct OperandUsage: Sendable {
    var binds = false
    var parameters = false

    /// Nothing used yet.
    public init() {}

    func check() throws {
        if binds && parameters {
            throw EntityQueryError("a statement cannot both bind values and use QueryParameter placeholders")
        }
    }

    /// Writes a statement with `render` and checks what it used.
    static func build(_ render: (inout PostgresQuery, inout OperandUsage) throws -> Void) throws -> PostgresQuery {
        var query = PostgresQuery(unsafeSQL: "")
        var usage = OperandUsage()
        try render(&query, &usage)
        try usage.check()
        return query
    }
}

/// A computed column or condition written as SQL with interpolated columns and parameters:
///
/// ```swift
/// let notify: SQLExpression<Session> =
///     "CASE WHEN \(QueryParameter<String>(4, as: "text")) <> '' THEN pg_notify(...\(\.token)...) END"
/// ```
///
/// Columns are written qualified with the statement's table (or alias); a key path that is not a column
/// makes the statement fail to build.
public struct SQLExpression<Root: Entity>: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case sql(String)
        case column(String)
        case operand(Operand)
        case invalid(String)
    }

    var parts: [Part]

    public init(stringLiteral value: String) { parts = [.sql(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// Builds an expression's parts.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { parts.append(.sql(literal)) }

        /// A column of the statement's entity, qualified: `"session"."token"`.
        public mutating func appendInterpolation<V>(_ keyPath: KeyPath<Root, V>) {
            if let column = Root.column(for: keyPath) {
                parts.append(.column(column))
            } else {
                parts.append(.invalid("\(keyPath) is not a column of \(Root.self)"))
            }
        }

        /// A `$n` parameter.
        public mutating func appendInterpolation<V>(_ parameter: QueryParameter<V>) {
            parts.append(.operand(parameter.operand))
        }

        /// A constant.
        public mutating func appendInterpolation(_ literal: SQLLiteral) { parts.append(.sql(literal.sql)) }

        /// A column no key path names (the discriminator, a column added by configuration), qualified.
        public mutating func appendInterpolation(column name: String) { parts.append(.column(name)) }

        /// Another expression over the same entity.
        public mutating func appendInterpolation(_ expression: SQLExpression<Root>) { parts += expression.parts }
    }

    /// The expression's text with columns qualified by `table` (for statements composed around built ones).
    public func sql(table: String) throws -> String {
        try OperandUsage.build { query, usage in try render(into: &query, table: table, usage: &usage) }.sql
    }

    func render(into query: inout PostgresQuery, table: String, usage: inout OperandUsage) throws {
        for part in parts {
            switch part {
            case .sql(let text): query.appendUnescaped(text)
            case .column(let name): query.appendColumn(name, of: table)
            case .operand(let operand): operand.render(into: &query, usage: &usage)
            case .invalid(let message): throw EntityQueryError(message)
            }
        }
    }
}
