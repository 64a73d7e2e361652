// The decorators of TypeORM, as Swift macros. `@Entity`, `@ChildEntity` and `@Embeddable` generate code;
// the others only mark declarations for them to read.

/// TypeORM's `@Entity()`: a struct stored as a table row. The table is named `name`, or TypeORM's
/// snake case of the type name (`AnonymousSession` → `anonymous_session`).
///
/// Generates the ``Entity`` conformance (metadata, `init(row:)`, insert values, key-path columns) and a
/// stored `<relation>Id` property for every `@ManyToOne` whose join column no property declares.
@attached(member, names: arbitrary)
@attached(
    extension, conformances: Entity,
    names: named(PrimaryKey), named(entityMetadata), named(init(reading:)), named(insertValues), named(column(for:)),
    named(visitColumns))
public macro Entity(_ name: String? = nil) = #externalMacro(module: "EntityMacros", type: "EntityMacro")

/// TypeORM's `@ChildEntity()` under `@TableInheritance`: the struct is a row of `parent`'s table
/// (single-table inheritance), its discriminator column holding `discriminatorValue` (default: the type name).
///
/// Swift structs do not inherit, so the child holds its parent as `base` (a generated stored property) and
/// reads and writes the parent's members through it, by dynamic member lookup (`session.token`). The child's
/// own columns become nullable columns of the parent's table.
@attached(member, names: named(base), arbitrary)
@attached(
    extension, conformances: ChildEntity,
    names: named(Parent), named(PrimaryKey), named(discriminatorValue), named(entityMetadata), named(init(reading:)),
    named(insertValues), named(column(for:)), named(visitColumns))
///
/// `P` is not constrained to ``Entity`` here (the generated `Parent` typealias is): a constraint on the
/// attribute makes the compiler check the parent's conformance while it expands the child's macros, and
/// when that check leads back to the child (an extension of the parent naming it), the child's conformance
/// silently goes missing.
public macro ChildEntity<P>(_ discriminatorValue: String? = nil, of parent: P.Type) =
    #externalMacro(module: "EntityMacros", type: "ChildEntityMacro")

/// TypeORM's embedded entity (`@Column(type => Address)`): a struct whose `@Column` properties are stored in the table of the entity that holds it, under
/// prefixed names (see ``Embedded(prefix:)``).
@attached(
    extension, conformances: Embeddable,
    names: named(embeddedColumns), named(init(reading:)), named(insertValues(prefix:)), named(visitColumns))
public macro Embeddable() = #externalMacro(module: "EntityMacros", type: "EmbeddableMacro")

/// A property holding an ``Embeddable()`` struct. Its columns are named `camelCase(prefix) +
/// titleCase(column)`, as TypeORM names them: `customFields` + `userAgent` → `customFieldsUseragent`.
/// The prefix defaults to the property name.
@attached(peer)
public macro Embedded(prefix: String? = nil) = #externalMacro(module: "EntityMacros", type: "MarkerMacro")

/// TypeORM's `@TableInheritance({ column: { name, type } })` on the root of a single-table hierarchy: the
/// table gets a discriminator column (`character varying NOT NULL`), indexed unless an `@Index([column])`
/// on the type already indexes it.
@attached(peer)
public macro TableInheritance(column: String = "type", type: String = "varchar") =
    #externalMacro(module: "EntityMacros", type: "MarkerMacro")
