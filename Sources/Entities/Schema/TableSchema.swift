/// A table as the DDL generator needs it: every name resolved, columns in TypeORM's order.
public struct TableSchema: Sendable, Hashable {
    /// The table name.
    public var name: String
    /// The columns, in `CREATE TABLE` order.
    public var columns: [TableColumn]
    /// The primary key constraint.
    public var primaryKey: Constraint
    /// UNIQUE constraints of `@Column(unique: true)` columns, in column order.
    public var uniques: [Constraint]
    /// Indexes, in declaration order.
    public var indexes: [TableIndex]
    /// Foreign keys of the many-to-one relations.
    public var foreignKeys: [ForeignKey]
    /// The discriminator column of a single-table inheritance root, and the value each entity stores in it.
    public var inheritance: Inheritance?

    /// The column named `name`, if any.
    public func column(named name: String) -> TableColumn? { columns.first { $0.name == name } }

    /// A named constraint over columns (primary key or UNIQUE).
    public struct Constraint: Sendable, Hashable {
        /// The constraint name.
        public var name: String
        /// The columns, in declaration order.
        public var columns: [String]
    }

    /// Single-table inheritance of a table.
    public struct Inheritance: Sendable, Hashable {
        /// The discriminator column.
        public var column: String
        /// Entity name → discriminator value, for the root and each child, in declaration order.
        public var values: [(entity: String, value: String)]

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.column == rhs.column && lhs.values.elementsEqual(rhs.values) { $0 == $1 }
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(column)
            for (entity, value) in values {
                hasher.combine(entity)
                hasher.combine(value)
            }
        }
    }
}

/// A column of a ``TableSchema``.
public struct TableColumn: Sendable, Hashable {
    /// The column name.
    public var name: String
    /// The normalized type (`character varying`, `integer`, `timestamp without time zone`...).
    public var type: String
    /// The type as TypeORM prints it in DDL (`character varying(255)`, `TIMESTAMP`...).
    public var fullType: String
    /// Whether the column accepts NULL.
    public var isNullable: Bool
    /// The SQL after `DEFAULT`, if any.
    public var defaultSQL: String?
    /// Whether the column is part of the primary key.
    public var isPrimary: Bool
    /// How a generated primary key is generated.
    public var generation: ColumnMetadata.Generation?
}

/// An index of a ``TableSchema``.
public struct TableIndex: Sendable, Hashable {
    /// The index name.
    public var name: String
    /// The columns, in declaration order.
    public var columns: [String]
    /// Whether the index is UNIQUE.
    public var isUnique: Bool
    /// A partial index condition.
    public var predicate: String?
}

/// A foreign key of a ``TableSchema``.
public struct ForeignKey: Sendable, Hashable {
    /// The constraint name.
    public var name: String
    /// The referencing columns.
    public var columns: [String]
    /// The referenced table.
    public var referencedTable: String
    /// The referenced columns.
    public var referencedColumns: [String]
    /// `ON DELETE`.
    public var onDelete: ReferentialAction
    /// `ON UPDATE`.
    public var onUpdate: ReferentialAction
}

extension TableSchema {
    /// Adds a column the declarations do not hold, after the declared ones: a column registered at run
    /// time from configuration, as TypeORM lets a framework add metadata at bootstrap (an application's
    /// configured extra fields). Throws when the name is taken or too long.
    public mutating func addColumn(_ column: ColumnMetadata) throws(SchemaError) {
        try SchemaBuilder.checkLength(column.name, "column name of \(name).\(column.propertyName)")
        guard self.column(named: column.name) == nil else {
            throw SchemaError(.duplicateColumn, "table \"\(name)\" has two columns named \"\(column.name)\"")
        }
        columns.append(
            TableColumn(
                name: column.name, type: column.type, fullType: PostgresColumnType.fullType(column),
                isNullable: column.isNullable, defaultSQL: column.defaultValue?.sql, isPrimary: column.isPrimary,
                generation: column.generation))
        if column.isUnique {
            uniques.append(
                Constraint(name: NamingStrategy.uniqueConstraintName(table: name, columns: [column.name]), columns: [column.name]))
        }
    }
}
