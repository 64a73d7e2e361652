/// TypeORM's `@Column()`. The SQL type follows the Swift type unless `type` is given: `String` →
/// `character varying`, `Int` → `integer`, `Bool` → `boolean`, `Date` → `timestamp` (without time zone),
/// `Double` → `double precision`, `Decimal` → `numeric`, `UUID` → `uuid` (also `Int16` → `smallint`,
/// `Int32` → `integer`, `Int64` → `bigint`, `Float` → `real`). An Optional is nullable unless `nullable` says.
/// `registration` places a column registered after the decorators (see ``ColumnMetadata/Registration``).
@attached(peer)
public macro Column(
    name: String? = nil, type: String? = nil, nullable: Bool? = nil, default: ColumnDefault? = nil,
    length: Int? = nil, precision: Int? = nil, scale: Int? = nil, unique: Bool = false,
    registration: ColumnMetadata.Registration = .decorator
) = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@PrimaryGeneratedColumn()` (`SERIAL`) or `@PrimaryGeneratedColumn("uuid")`
/// (`uuid DEFAULT uuid_generate_v4()`). The property is Optional: `nil` until the database assigns it.
/// `registration` places a key registered after the decorators (see ``ColumnMetadata/Registration``).
@attached(peer)
public macro PrimaryGeneratedColumn(
    _ strategy: ColumnMetadata.Generation = .increment, registration: ColumnMetadata.Registration = .decorator
) = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@CreateDateColumn()`: `TIMESTAMP NOT NULL DEFAULT now()`.
@attached(peer)
public macro CreateDateColumn() = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@UpdateDateColumn()`: `TIMESTAMP NOT NULL DEFAULT now()`.
@attached(peer)
public macro UpdateDateColumn() = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// The `@EntityId()` of TypeORM applications: a column holding another entity's id, typed by its Swift type
/// (`Int` → `integer`, `UUID` → `uuid`), nullable when asked, or the primary key with `primary: true`.
/// Frameworks that define it register these columns at bootstrap, once their id strategy is known: give
/// that place with `registration` (see ``ColumnMetadata/Registration``).
@attached(peer)
public macro EntityId(
    nullable: Bool = false, primary: Bool = false, registration: ColumnMetadata.Registration = .decorator
) = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@Index()` on a property (a relation property indexes its join column).
@attached(peer)
public macro Index(name: String? = nil, unique: Bool = false, where predicate: String? = nil) =
    #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@Index(["a", "b"])` on the entity type: an index over several properties (or columns).
@attached(peer)
public macro Index(_ columns: [String], name: String? = nil, unique: Bool = false, where predicate: String? = nil) =
    #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@ManyToOne(type => Target)`: the property (an Optional, filled only when the relation is
/// loaded) is backed by the join column `<property>Id`, typed as `Target`'s primary key and nullable
/// unless `nullable: false`, with a foreign key to `Target`'s table. Declare `<property>Id` yourself (a
/// `@Column`) to choose the column's place and registration; otherwise `@Entity` adds it.
@attached(peer)
/// (`Target` is left unconstrained for the reason given at ``ChildEntity(_:of:)``; the generated metadata
/// requires an ``Entity``.)
public macro ManyToOne<Target>(
    _ target: Target.Type, nullable: Bool = true, onDelete: ReferentialAction = .noAction,
    onUpdate: ReferentialAction = .noAction
) = #externalMacro(module: "EntityMacros", type: "MarkerMacro")
