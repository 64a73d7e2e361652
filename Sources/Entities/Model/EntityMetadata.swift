import Foundation
/// What an entity declaration says, as the macros read it: the input of the ``SchemaBuilder``.
public struct EntityMetadata: Sendable {
    /// The Swift type name (TypeORM's target name): the default table name and discriminator value.
    public var entityName: String
    /// The table name given to `@Entity("name")`, if any.
    public var explicitTableName: String?
    /// How the entity takes part in single-table inheritance.
    public var inheritance: Inheritance
    /// The columns the entity's own properties hold (for a child: only the child's), in declaration order.
    public var columns: [ColumnMetadata]
    /// The many-to-one relations.
    public var relations: [RelationMetadata]
    /// The indexes, in declaration order: property indexes, then type-level ones.
    public var indexes: [IndexMetadata]
    /// Embedded structs whose columns are stored inline.
    public var embeddeds: [EmbeddedMetadata]

    /// Creates entity metadata (the macros call this).
    public init(
        entityName: String, explicitTableName: String? = nil, inheritance: Inheritance = .none,
        columns: [ColumnMetadata], relations: [RelationMetadata] = [], indexes: [IndexMetadata] = [],
        embeddeds: [EmbeddedMetadata] = []
    ) {
        self.entityName = entityName
        self.explicitTableName = explicitTableName
        self.inheritance = inheritance
        self.columns = columns
        self.relations = relations
        self.indexes = indexes
        self.embeddeds = embeddeds
    }

    /// The table name: the explicit one, the parent's for a child entity, else TypeORM's
    /// `snakeCase(entityName)`.
    public var resolvedTableName: String {
        if case .child(let parent, _) = inheritance { return parent.entityMetadata.resolvedTableName }
        return explicitTableName ?? NamingStrategy.tableName(entityName)
    }

    /// Single-table inheritance, as `@TableInheritance` and `@ChildEntity` declare it.
    public enum Inheritance: Sendable {
        /// A plain entity.
        case none
        /// The root of a hierarchy: the table holds a discriminator column of this name and SQL type.
        case parent(discriminatorColumn: String, discriminatorType: String)
        /// A child stored in the parent's table, identified by the discriminator value.
        case child(parent: any Entity.Type, discriminatorValue: String)
    }
}

/// One column, as declared.
public struct ColumnMetadata: Sendable, Hashable {
    /// The Swift property holding the value.
    public var propertyName: String
    /// The column name.
    public var name: String
    /// The column type as TypeORM normalizes it for PostgreSQL (`character varying`, `integer`,
    /// `timestamp without time zone`...). Aliases (`varchar`, `int`, `timestamp`...) are normalized on input.
    public var type: String
    /// The length of a `character varying(n)` column.
    public var length: Int?
    /// The precision of a `numeric(p,s)` or `timestamp(p)` column.
    public var precision: Int?
    /// The scale of a `numeric(p,s)` column.
    public var scale: Int?
    /// Whether the column accepts NULL.
    public var isNullable: Bool
    /// The default, if any.
    public var defaultValue: ColumnDefault?
    /// Whether the column is (part of) the primary key.
    public var isPrimary: Bool
    /// How the database generates the value, for a generated primary key.
    public var generation: Generation?
    /// Whether the column has a single-column UNIQUE constraint (`@Column(unique: true)`).
    public var isUnique: Bool
    /// When TypeORM registers the column; it decides the column's place in the table.
    public var registration: Registration

    /// Creates column metadata (the macros call this).
    public init(
        propertyName: String, name: String? = nil, type: String, length: Int? = nil, precision: Int? = nil,
        scale: Int? = nil, isNullable: Bool = false, defaultValue: ColumnDefault? = nil, isPrimary: Bool = false,
        generation: Generation? = nil, isUnique: Bool = false, registration: Registration = .decorator
    ) {
        self.propertyName = propertyName
        self.name = name ?? propertyName
        self.type = PostgresColumnType.normalize(type)
        self.length = length
        self.precision = precision
        self.scale = scale
        self.isNullable = isNullable
        self.defaultValue = defaultValue
        self.isPrimary = isPrimary
        self.generation = generation
        self.isUnique = isUnique
        self.registration = registration
    }

    /// How a primary key is generated.
    public enum Generation: String, Sendable, Hashable {
        /// `SERIAL` (`@PrimaryGeneratedColumn()`).
        case increment
        /// `uuid DEFAULT uuid_generate_v4()` (`@PrimaryGeneratedColumn("uuid")`).
        case uuid
    }

    /// When a column is registered with TypeORM, which fixes its place in `CREATE TABLE`. Column decorators
    /// run as the class is loaded, so those columns come first, in declaration order (a parent's, then its
    /// children's). A framework built on TypeORM may register columns later, at bootstrap (for instance an
    /// id column whose type depends on a configured id strategy); those follow, in the order of their
    /// ``deferred(_:)`` rank, and within one rank parent first.
    ///
    /// `@Column(registration: .deferred(1))` and `@PrimaryGeneratedColumn(registration: ...)` set it; a
    /// module can name its ranks (`extension ColumnMetadata.Registration { static let lateID = deferred(1) }`)
    /// and use the names in its declarations.
    public struct Registration: Sendable, Hashable, Comparable {
        /// The rank: 0 for decorators, higher ranks later.
        public let rank: Int

        /// A column decorator evaluated when the class is loaded (the default).
        public static let decorator = Registration(rank: 0)

        /// A column registered after every decorator, at bootstrap; `rank` (1 or more) orders such columns.
        public static func deferred(_ rank: Int) -> Registration { Registration(rank: max(1, rank)) }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }
}

/// A column default, rendered as TypeORM's PostgreSQL driver renders it (`normalizeDefault`).
public enum ColumnDefault: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral
{
    /// A string constant: `'text'`.
    case string(String)
    /// A number: TypeORM quotes it, `'0'`.
    case number(String)
    /// A boolean: `true`/`false`.
    case bool(Bool)
    /// A raw SQL expression (TypeORM's `() => "now()"`).
    case sql(String)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) {
        // JavaScript prints integral doubles without a fraction: 1.0 is "1".
        if value.rounded() == value, abs(value) < 1e15 {
            self = .number(String(Int(value)))
        } else {
            self = .number(String(value))
        }
    }

    /// The SQL text after `DEFAULT`.
    public var sql: String {
        switch self {
        case .string(let s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .number(let n): "'\(n)'"
        case .bool(let b): b ? "true" : "false"
        case .sql(let expression): expression
        }
    }
}

/// A many-to-one relation: a join column referencing the target's primary key, and a foreign key.
public struct RelationMetadata: Sendable {
    /// The Swift property holding the related entity.
    public var propertyName: String
    /// The related entity.
    public var target: any Entity.Type
    /// The join column: `<property>Id` (TypeORM's `joinColumnName(relation, "id")`).
    public var joinColumn: String
    /// Whether the join column accepts NULL (TypeORM's default: yes).
    public var isNullable: Bool
    /// `ON DELETE` of the foreign key.
    public var onDelete: ReferentialAction
    /// `ON UPDATE` of the foreign key.
    public var onUpdate: ReferentialAction

    /// Creates relation metadata (the macros call this).
    public init(
        propertyName: String, target: any Entity.Type, joinColumn: String? = nil, isNullable: Bool = true,
        onDelete: ReferentialAction = .noAction, onUpdate: ReferentialAction = .noAction
    ) {
        self.propertyName = propertyName
        self.target = target
        self.joinColumn = joinColumn ?? propertyName + "Id"
        self.isNullable = isNullable
        self.onDelete = onDelete
        self.onUpdate = onUpdate
    }
}

/// What a foreign key does when the referenced row is deleted or its key updated.
public enum ReferentialAction: String, Sendable, Hashable {
    case cascade = "CASCADE"
    case setNull = "SET NULL"
    case noAction = "NO ACTION"
    case restrict = "RESTRICT"
    case setDefault = "SET DEFAULT"
}

/// An index, as declared with `@Index`: on a property (`columns` holds its name) or on the type.
public struct IndexMetadata: Sendable, Hashable {
    /// The property names (or column names) indexed; a relation property stands for its join column.
    public var columns: [String]
    /// An explicit index name; otherwise TypeORM's `IDX_` name.
    public var name: String?
    /// Whether the index is UNIQUE.
    public var isUnique: Bool
    /// A partial index condition.
    public var predicate: String?

    /// Creates index metadata (the macros call this).
    public init(columns: [String], name: String? = nil, isUnique: Bool = false, predicate: String? = nil) {
        self.columns = columns
        self.name = name
        self.isUnique = isUnique
        self.predicate = predicate
    }
}

/// A property holding an ``Embeddable`` struct whose columns live in the entity's table.
public struct EmbeddedMetadata: Sendable {
    /// The Swift property.
    public var propertyName: String
    /// The column name prefix (TypeORM uses the property name).
    public var prefix: String
    /// The embedded columns, unprefixed.
    public var columns: [ColumnMetadata]

    /// Creates embedded metadata (the macros call this).
    public init(propertyName: String, prefix: String? = nil, columns: [ColumnMetadata]) {
        self.propertyName = propertyName
        self.prefix = prefix ?? propertyName
        self.columns = columns
    }
}
