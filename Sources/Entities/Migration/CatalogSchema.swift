/// A schema as PostgreSQL's catalog describes it (`pg_class`, `pg_attribute`, `pg_index`, `pg_constraint`):
/// what ``CatalogReader`` reads and ``MigrationPlanner`` compares with the declared ``TableSchema``s.
public struct CatalogSchema: Sendable, Hashable {
    /// The schema name.
    public var name: String
    /// The tables (ordinary and partitioned), by name.
    public var tables: [String: CatalogTable]

    /// Creates a catalog snapshot.
    public init(name: String, tables: [String: CatalogTable] = [:]) {
        self.name = name
        self.tables = tables
    }
}

/// One table of a ``CatalogSchema``.
public struct CatalogTable: Sendable, Hashable {
    /// The table name.
    public var name: String
    /// The columns, in `attnum` order.
    public var columns: [CatalogColumn]
    /// Every index, those backing a primary key or UNIQUE constraint included.
    public var indexes: [CatalogIndex]
    /// Primary key, UNIQUE and FOREIGN KEY constraints.
    public var constraints: [CatalogConstraint]

    /// Creates a table description.
    public init(
        name: String, columns: [CatalogColumn] = [], indexes: [CatalogIndex] = [],
        constraints: [CatalogConstraint] = []
    ) {
        self.name = name
        self.columns = columns
        self.indexes = indexes
        self.constraints = constraints
    }

    /// The column named `name`, if any.
    public func column(named name: String) -> CatalogColumn? { columns.first { $0.name == name } }
    /// The index named `name`, if any.
    public func index(named name: String) -> CatalogIndex? { indexes.first { $0.name == name } }
    /// The constraint named `name`, if any.
    public func constraint(named name: String) -> CatalogConstraint? { constraints.first { $0.name == name } }
    /// The primary key constraint, if any.
    public var primaryKey: CatalogConstraint? { constraints.first { $0.kind == .primaryKey } }
}

/// One column of a ``CatalogTable``.
public struct CatalogColumn: Sendable, Hashable {
    /// The column name.
    public var name: String
    /// The type as `format_type(atttypid, atttypmod)` prints it: `character varying(255)`, `integer`,
    /// `timestamp without time zone`, `numeric(10,2)`...
    public var type: String
    /// Whether the column accepts NULL (`NOT attnotnull`).
    public var isNullable: Bool
    /// The default expression as `pg_get_expr` prints it (`now()`, `'Regular'::character varying`,
    /// `nextval('session_id_seq'::regclass)`), if any.
    public var defaultSQL: String?

    /// Creates a column description.
    public init(name: String, type: String, isNullable: Bool, defaultSQL: String? = nil) {
        self.name = name
        self.type = type
        self.isNullable = isNullable
        self.defaultSQL = defaultSQL
    }
}

/// One index of a ``CatalogTable``.
public struct CatalogIndex: Sendable, Hashable {
    /// The index name.
    public var name: String
    /// The indexed columns in key order (an expression column reads as an empty string).
    public var columns: [String]
    /// Whether the index is UNIQUE.
    public var isUnique: Bool
    /// The partial index condition (`pg_get_expr(indpred)`), if any.
    public var predicate: String?
    /// The name of the constraint (primary key, UNIQUE) the index backs, if any.
    public var constraintName: String?

    /// Creates an index description.
    public init(
        name: String, columns: [String], isUnique: Bool, predicate: String? = nil, constraintName: String? = nil
    ) {
        self.name = name
        self.columns = columns
        self.isUnique = isUnique
        self.predicate = predicate
        self.constraintName = constraintName
    }
}

/// A primary key, UNIQUE or FOREIGN KEY constraint of a ``CatalogTable``.
public struct CatalogConstraint: Sendable, Hashable {
    /// The constraint kind (`pg_constraint.contype`).
    public enum Kind: String, Sendable, Hashable {
        case primaryKey = "p"
        case unique = "u"
        case foreignKey = "f"
    }

    /// The constraint name.
    public var name: String
    /// The kind.
    public var kind: Kind
    /// The constrained columns, in key order.
    public var columns: [String]
    /// For a foreign key: the referenced table.
    public var referencedTable: String?
    /// For a foreign key: the referenced columns.
    public var referencedColumns: [String]
    /// For a foreign key: `ON DELETE`.
    public var onDelete: ReferentialAction?
    /// For a foreign key: `ON UPDATE`.
    public var onUpdate: ReferentialAction?

    /// Creates a constraint description.
    public init(
        name: String, kind: Kind, columns: [String], referencedTable: String? = nil, referencedColumns: [String] = [],
        onDelete: ReferentialAction? = nil, onUpdate: ReferentialAction? = nil
    ) {
        self.name = name
        self.kind = kind
        self.columns = columns
        self.referencedTable = referencedTable
        self.referencedColumns = referencedColumns
        self.onDelete = onDelete
        self.onUpdate = onUpdate
    }
}

extension ReferentialAction {
    /// The action of a `pg_constraint.confdeltype`/`confupdtype` code (`a`, `r`, `c`, `n`, `d`).
    public init?(catalogCode: String) {
        switch catalogCode {
        case "a": self = .noAction
        case "r": self = .restrict
        case "c": self = .cascade
        case "n": self = .setNull
        case "d": self = .setDefault
        default: return nil
        }
    }
}
