public import LibPQ

/// A ``SelectQuery`` built once: its constant SQL text, and where each column the entities read sits in
/// its rows, so decoding a row reads columns by position. Build it once (a store builds its statements
/// when it is created) and run it with ``query(binds:)``.
public struct PreparedSelect<Root: Entity>: Sendable {
    /// The statement's text, with `$n` for its ``QueryParameter``s.
    public let sql: String
    /// Where each entity's columns are in the rows (one reference: decoders hold it for each row).
    @usableFromInline let plan: DecodePlan<Root>
    /// The row position of the discriminator column, when the table has one and it is selected.
    public let discriminatorIndex: Int?
    /// The row positions of the ``SelectQuery/adding(_:)`` expressions, in the order they were added.
    public let computedColumns: Range<Int>
    /// The number of columns each row has.
    public let columnCount: Int

    init(query: SelectQuery<Root>, sql: String) {
        self.sql = sql
        let rootColumns = query.rootColumns
        var index: [String: Int] = [:]
        for (i, column) in rootColumns.enumerated() where index[column] == nil { index[column] = i }
        func positions(of entity: any Entity.Type) -> [Int] { entity.columnNames.map { index[$0] ?? -1 } }
        var variants: [(ObjectIdentifier, [Int])] = []
        if let polymorphic = Root.self as? any PolymorphicEntity.Type {
            for type in polymorphic.variantTypes { variants.append((ObjectIdentifier(type), positions(of: type))) }
        }
        discriminatorIndex = query.info.discriminatorColumn.flatMap { index[$0] }
        var next = rootColumns.count
        var joins: [DecodePlan<Root>.JoinPlan] = []
        for join in query.joins {
            var joinIndex: [String: Int] = [:]
            for column in join.selectedColumns(rootColumns) {
                joinIndex[column] = next
                next += 1
            }
            // The key is in the join column, or selected from the target; a row is missing when the NOT NULL
            // presence column (then) or the key (else) is NULL.
            let keyFromJoinColumn = join.readsKeyFromJoinColumn(rootColumns)
            if keyFromJoinColumn { joinIndex[join.targetKey] = index[join.joinColumn] }
            let presence = keyFromJoinColumn ? join.presenceColumn.flatMap { joinIndex[$0] } : joinIndex[join.targetKey]
            joins.append(
                DecodePlan<Root>.JoinPlan(
                    owner: join.owner, applier: join.applier, positions: join.targetColumns.map { joinIndex[$0] ?? -1 },
                    presence: presence ?? -1))
        }
        plan = DecodePlan(
            positions: positions(of: Root.self), variants: variants,
            rootJoins: joins.compactMap { join in
                guard join.owner == nil, let applier = join.applier as? JoinApplier<Root> else { return nil }
                return (applier, join.positions, join.presence)
            },
            childJoins: joins.filter { $0.owner != nil })
        computedColumns = next..<(next + query.computed.count)
        columnCount = next + query.computed.count
    }

    /// The statement with these binds for its parameters (`$1`, `$2`... in order).
    public func query(binds: PostgresBindings) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Decodes `Root` from a row of this statement, with its joined relations. (Inlinable, like the rest of
    /// the decoding path, so it is specialized for the entity where it is called.)
    @inlinable
    public func decode(_ row: PostgresRow) throws -> Root {
        var reader = ColumnReader(row: row, positions: plan.positions)
        var entity = try Root(reading: &reader)
        for join in plan.rootJoins { try join.applier.apply(&entity, row, join.positions, presence: join.presence) }
        return entity
    }
}

extension PreparedSelect where Root: PolymorphicEntity {
    /// Decodes a row as the kind its discriminator names, with its joined relations (the statement must
    /// select the kinds' columns: ``SelectQuery/includingVariantColumns()``).
    @inlinable
    public func decodeVariant(_ row: PostgresRow) throws -> Root.Variant {
        guard let discriminatorIndex else {
            throw EntityQueryError("the statement does not select the discriminator column of \(Root.self)")
        }
        let discriminator = try row.decode(String.self, at: discriminatorIndex)
        return try Root.variant(discriminator: discriminator, decoder: VariantDecoder(row: row, plan: plan))
    }
}

/// Decodes one row of a polymorphic select as a given kind: ``PolymorphicEntity/variant(discriminator:decoder:)``
/// calls ``decode(_:)`` with the child entity the discriminator names.
public struct VariantDecoder<Root: PolymorphicEntity> {
    @usableFromInline let row: PostgresRow
    @usableFromInline let plan: DecodePlan<Root>

    @usableFromInline
    init(row: PostgresRow, plan: DecodePlan<Root>) {
        self.row = row
        self.plan = plan
    }

    /// Decodes the row as `Child`, the relations joined on `Root` and on `Child` filled in.
    @inlinable
    public func decode<Child: ChildEntity>(_ type: Child.Type) throws -> Child where Child.Parent == Root {
        let id = ObjectIdentifier(Child.self)
        let positions =
            plan.variants.first(where: { $0.type == id })?.positions
            ?? Child.columnNames.map { _ in -1 }
        var reader = ColumnReader(row: row, positions: positions)
        var child = try Child(reading: &reader)
        for join in plan.rootJoins { try join.applier.apply(&child.base, row, join.positions, presence: join.presence) }
        for join in plan.childJoins where join.owner == id {
            guard let applier = join.applier as? JoinApplier<Child> else { continue }
            try applier.apply(&child, row, join.positions, presence: join.presence)
        }
        return child
    }
}

/// How a ``PreparedSelect``'s rows decode: the row positions of each entity's columns, and its joins.
@usableFromInline
final class DecodePlan<Root: Entity>: Sendable {
    @usableFromInline
    struct JoinPlan: Sendable {
        @usableFromInline var owner: ObjectIdentifier?
        @usableFromInline var applier: any Sendable
        @usableFromInline var positions: [Int]
        @usableFromInline var presence: Int
    }

    /// The row positions of `Root`'s columns, in its reading order (-1: not selected).
    @usableFromInline let positions: [Int]
    /// The row positions of each kind's columns (polymorphic selects).
    @usableFromInline let variants: [(type: ObjectIdentifier, positions: [Int])]
    /// The relations of `Root` itself, their appliers cast once here rather than for every row.
    @usableFromInline let rootJoins: [(applier: JoinApplier<Root>, positions: [Int], presence: Int)]
    /// The relations of child entities.
    @usableFromInline let childJoins: [JoinPlan]

    init(
        positions: [Int], variants: [(type: ObjectIdentifier, positions: [Int])],
        rootJoins: [(applier: JoinApplier<Root>, positions: [Int], presence: Int)], childJoins: [JoinPlan]
    ) {
        self.positions = positions
        self.variants = variants
        self.rootJoins = rootJoins
        self.childJoins = childJoins
    }
}
