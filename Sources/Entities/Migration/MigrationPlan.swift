/// What a migration will do to a schema: the statements to run, in order, and what it found but will not
/// change.
public struct MigrationPlan: Sendable, Hashable, CustomStringConvertible {
    /// The schema the plan is for.
    public var schema: String
    /// The statements to run, in order.
    public var steps: [MigrationStep]
    /// Differences left alone (type, nullability or default mismatches, unknown indexes, destructive steps
    /// not allowed...).
    public var warnings: [MigrationWarning]

    /// Creates a plan.
    public init(schema: String, steps: [MigrationStep] = [], warnings: [MigrationWarning] = []) {
        self.schema = schema
        self.steps = steps
        self.warnings = warnings
    }

    /// Whether there is nothing to run.
    public var isEmpty: Bool { steps.isEmpty }

    /// The plan as text: one statement per line, each ending in `;`, then the warnings as `-- warning:`
    /// comments.
    public var description: String {
        var lines: [String] = []
        if steps.isEmpty { lines.append("-- schema \"\(schema)\" is up to date") }
        for step in steps {
            lines.append("-- \(step.description)")
            lines.append(step.sql + ";")
        }
        for warning in warnings { lines.append("-- warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}

/// One statement of a ``MigrationPlan``.
public struct MigrationStep: Sendable, Hashable, CustomStringConvertible {
    /// What kind of object the statement creates or drops.
    public enum Kind: String, Sendable, Hashable {
        case createTable, addColumn, createIndex, addUnique, addForeignKey
        case dropForeignKey, dropUnique, dropIndex, dropColumn

        /// Whether the step removes something.
        public var isDestructive: Bool {
            switch self {
            case .dropForeignKey, .dropUnique, .dropIndex, .dropColumn: true
            default: false
            }
        }
    }

    /// What kind of object the statement creates or drops.
    public var kind: Kind
    /// The table concerned.
    public var table: String
    /// The object created or dropped (table, column, index or constraint name).
    public var object: String
    /// The statement, without a trailing semicolon.
    public var sql: String
    /// For ``Kind/createTable``: the columns the statement creates (logged, so that a column someone adds
    /// to the table later is never mistaken for one the migrator made).
    public var createdColumns: [String]
    /// For ``Kind/createTable``: the UNIQUE constraints the statement creates.
    public var createdUniques: [String]

    /// Creates a step.
    public init(
        _ kind: Kind, table: String, object: String, sql: String, createdColumns: [String] = [],
        createdUniques: [String] = []
    ) {
        self.kind = kind
        self.table = table
        self.object = object
        self.sql = sql
        self.createdColumns = createdColumns
        self.createdUniques = createdUniques
    }

    /// For example `add column "session"."token"`.
    public var description: String {
        switch kind {
        case .createTable: "create table \"\(table)\""
        case .addColumn: "add column \"\(table)\".\"\(object)\""
        case .createIndex: "create index \"\(object)\" on \"\(table)\""
        case .addUnique: "add unique constraint \"\(object)\" on \"\(table)\""
        case .addForeignKey: "add foreign key \"\(object)\" on \"\(table)\""
        case .dropForeignKey: "drop foreign key \"\(object)\" on \"\(table)\""
        case .dropUnique: "drop unique constraint \"\(object)\" on \"\(table)\""
        case .dropIndex: "drop index \"\(object)\" on \"\(table)\""
        case .dropColumn: "drop column \"\(table)\".\"\(object)\""
        }
    }
}

/// A difference between the declaration and the database that the migrator reports and leaves alone.
public struct MigrationWarning: Sendable, Hashable, CustomStringConvertible {
    /// The kind of difference.
    public enum Kind: String, Sendable, Hashable {
        /// A column's type differs from the declared one.
        case typeMismatch
        /// A column accepts NULL where the declaration says NOT NULL, or the other way round.
        case nullabilityMismatch
        /// A column's default differs from the declared one.
        case defaultMismatch
        /// A table has no primary key, or one over other columns or under another name.
        case primaryKeyMismatch
        /// A declared index exists with other columns, uniqueness or condition.
        case indexMismatch
        /// A declared UNIQUE constraint exists over other columns.
        case uniqueMismatch
        /// A declared foreign key exists with another target or other actions.
        case foreignKeyMismatch
        /// An index or constraint on a declared table that nothing declares (left alone).
        case unknownObject
        /// Something the migrator created earlier and no longer declared: dropped only with
        /// `allowDestructive`.
        case destructiveStepSkipped
        /// A NOT NULL column without default is added to an existing table: this fails when the table has
        /// rows.
        case notNullWithoutDefault
    }

    /// The kind of difference.
    public var kind: Kind
    /// The table concerned.
    public var table: String
    /// The column, index or constraint concerned, if any.
    public var object: String?
    /// A sentence saying what differs.
    public var message: String

    /// Creates a warning.
    public init(_ kind: Kind, table: String, object: String? = nil, _ message: String) {
        self.kind = kind
        self.table = table
        self.object = object
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
