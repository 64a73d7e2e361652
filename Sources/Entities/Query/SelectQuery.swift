public import LibPQ

/// A `SELECT` of an entity, with conditions, left joins along `@ManyToOne` relations (decoded into the
/// related entities in the same round trip), order, limit and row locks.
///
/// ```swift
/// let sessions = try await Session.select()
///     .where(\.token == token && \.invalidated == false)
///     .join(\.activeOrder)
///     .join(\.activeChannel)
///     .order(by: \.expires, .descending)
///     .limit(10)
///     .all(on: connection)
/// ```
///
/// Selecting a child entity (`AuthenticatedSession`) adds `"session"."type" = 'AuthenticatedSession'`;
/// selecting the root of a hierarchy returns rows of every kind (see ``variants(on:)`` for the typed kinds).
///
/// A statement that runs often is built once with ``QueryParameter`` placeholders and ``prepare()``d: the
/// result holds constant SQL text and decodes rows by position, with no column-name lookups.
public struct SelectQuery<Root: Entity>: Sendable {
    /// A sort direction.
    public enum Direction: String, Sendable {
        case ascending = "ASC"
        case descending = "DESC"
    }

    /// A row lock (`FOR UPDATE`, `FOR SHARE`...).
    public enum Lock: String, Sendable {
        case forUpdate = "FOR UPDATE"
        case forNoKeyUpdate = "FOR NO KEY UPDATE"
        case forShare = "FOR SHARE"
        case forKeyShare = "FOR KEY SHARE"
    }

    struct Join: Sendable {
        var alias: String
        var table: String
        /// The join column, on the table selected from.
        var joinColumn: String
        var targetKey: String
        /// Every column of the target, in its reading order.
        var targetColumns: [String]
        /// The columns selected (all unless ``join(_:selecting:)`` chose some).
        var selected: Set<String>?
        /// A selected column of the target that is never NULL in a related row (`NOT NULL`, not the key):
        /// when there is one, NULL there means no related row, and the key need not be read from the target.
        var presenceColumn: String?
        /// The child entity the relation belongs to, when it is not `Root`'s.
        var owner: ObjectIdentifier?
        /// A `JoinApplier<Root>`, or a `JoinApplier<Child>` for a child's relation.
        var applier: any Sendable

        /// Whether the target's key is read from the join column instead (equal in every joined row): only
        /// for a partial select of the target (``join(_:selecting:)``) whose join column is among the root's
        /// `columns` and with a ``presenceColumn`` to tell a missing row.
        func readsKeyFromJoinColumn(_ rootColumns: [String]) -> Bool {
            selected != nil && presenceColumn != nil && rootColumns.contains(joinColumn)
        }

        /// The target's columns in the select list, given the root's.
        func selectedColumns(_ rootColumns: [String]) -> [String] {
            let withoutKey = readsKeyFromJoinColumn(rootColumns)
            return targetColumns.filter { (selected?.contains($0) ?? true) && !(withoutKey && $0 == targetKey) }
        }
    }

    enum Source: Sendable {
        case table
        /// `WITH "table" AS (<write> RETURNING *)`: the rows a write statement changed.
        case written(@Sendable (inout PostgresQuery, inout OperandUsage) throws -> Void)
    }

    let info = EntityTableInfo(Root.self)
    var source = Source.table
    var whereClause = WhereClause<Root>()
    var selection: Set<String>?
    var joins: [Join] = []
    var orderings: [(column: String, direction: Direction)] = []
    var limitCount: Operand?
    var offsetCount: Operand?
    var lock: (Lock, skipLocked: Bool)?
    var extraColumns: [String] = []
    var computed: [SQLExpression<Root>] = []
    var problems: [String] = []

    /// Starts a select of every row.
    public init() {}

    /// Starts a select of the rows a write statement returns (`INSERT`, `UPDATE` or `DELETE` on the same
    /// table): `WITH "session" AS (UPDATE "session" ... RETURNING *) SELECT ... FROM "session" LEFT JOIN ...`,
    /// so a write returns its rows with their relations in one statement.
    public init(from write: some EntityWriteQuery) {
        let table = write.tableName
        source = .written { query, usage in try write.render(into: &query, usage: &usage) }
        if table != info.table { problems.append("a select of \(info.table) cannot read rows written to \(table)") }
    }

    /// Adds a condition (several are joined with `AND`).
    public func `where`(_ predicate: EntityPredicate<Root>) -> Self {
        var copy = self
        copy.whereClause.add(predicate)
        return copy
    }

    /// Selects only these columns of `Root` (TypeORM's partial select); properties of unselected columns
    /// keep their defaults when decoded (`nil` for Optionals), and an unselected column without a default
    /// makes decoding throw.
    public func selecting(_ keyPaths: [PartialKeyPath<Root>]) -> Self {
        var copy = self
        var names = Set<String>()
        for keyPath in keyPaths {
            if let column = Root.column(for: keyPath) {
                names.insert(column)
            } else {
                copy.problems.append("\(keyPath) is not a column of \(Root.self)")
            }
        }
        copy.selection = names
        return copy
    }

    /// Left-joins the relation held by `keyPath` (a `@ManyToOne` property) and fills it in; a NULL join
    /// column, or no matching row, leaves it nil. `selecting` limits the related columns read (the key is
    /// always read, from the join column when it is selected).
    @inlinable
    public func join<Target: Entity>(
        _ keyPath: any WritableKeyPath<Root, Target?> & Sendable, selecting columns: [PartialKeyPath<Target>]? = nil
    ) -> Self {
        addJoin(keyPath, owner: nil, selecting: columns, fill: JoinApplier.filling(keyPath))
    }

    /// Left-joins a relation declared on a child entity of `Root` (a polymorphic select of `Session`
    /// joining `AuthenticatedSession.user`); rows decoded as that child get it filled in.
    @inlinable
    public func join<Child: ChildEntity, Target: Entity>(
        _ keyPath: any WritableKeyPath<Child, Target?> & Sendable, selecting columns: [PartialKeyPath<Target>]? = nil
    ) -> Self where Child.Parent == Root {
        addJoin(keyPath, owner: ObjectIdentifier(Child.self), selecting: columns, fill: JoinApplier.filling(keyPath))
            .including(columnsOf: [Child.self])
    }

    static func propertyName(of keyPath: AnyKeyPath) -> String {
        let text = "\(keyPath)"
        return String(text[text.index(after: text.lastIndex(of: ".") ?? text.startIndex)...])
    }

    /// Adds the join; `fill` (built where the relation is named, so it is specialized for the entity types
    /// there rather than compiled once for all of them) sets the relation from a row.
    @usableFromInline
    func addJoin<Owner: Entity, Target: Entity>(
        _ keyPath: any WritableKeyPath<Owner, Target?> & Sendable, owner: ObjectIdentifier?,
        selecting columns: [PartialKeyPath<Target>]?, fill: @escaping JoinApplier<Owner>.Fill
    ) -> Self {
        var copy = self
        let candidates = EntityTableInfo.relations(of: Owner.self).filter { $0.target == Target.self }
        let named = candidates.filter { $0.propertyName == Self.propertyName(of: keyPath) }
        guard let relation = candidates.count == 1 ? candidates.first : named.first else {
            copy.problems.append("\(keyPath) is not a @ManyToOne relation of \(Owner.self) to \(Target.self)")
            return copy
        }
        let target = EntityTableInfo(Target.self)
        guard target.primaryKey.count == 1, !joins.contains(where: { $0.alias == relation.propertyName }) else {
            copy.problems.append("\(keyPath) cannot be joined (composite key, or joined twice)")
            return copy
        }
        let key = target.primaryKey[0]
        var selected: Set<String>?
        if let columns {
            var names: Set<String> = [key]
            for column in columns {
                guard let name = Target.column(for: column) else {
                    copy.problems.append("\(column) is not a column of \(Target.self)")
                    continue
                }
                names.insert(name)
            }
            selected = names
        }
        let targetColumns = Target.columnNames
        let presence = selected.flatMap { selected in
            Target.entityMetadata.columns.first { !$0.isNullable && $0.name != key && selected.contains($0.name) }?.name
        }
        copy.joins.append(
            Join(
                alias: relation.propertyName, table: target.table, joinColumn: relation.joinColumn, targetKey: key,
                targetColumns: targetColumns, selected: selected, presenceColumn: presence, owner: owner,
                applier: JoinApplier<Owner>(fill)))
        return copy
    }

    /// Sorts by a column (several calls sort by several columns, in call order).
    public func order<V>(by keyPath: KeyPath<Root, V>, _ direction: Direction = .ascending) -> Self {
        var copy = self
        if let column = Root.column(for: keyPath) {
            copy.orderings.append((column, direction))
        } else {
            copy.problems.append("\(keyPath) is not a column of \(Root.self)")
        }
        return copy
    }

    /// Returns at most `count` rows (`LIMIT $n`).
    public func limit(_ count: Int) -> Self {
        var copy = self
        copy.limitCount = .bind(count)
        return copy
    }

    /// Returns at most as many rows as the parameter says (`LIMIT $n`).
    public func limit(_ count: QueryParameter<Int>) -> Self {
        var copy = self
        copy.limitCount = count.operand
        return copy
    }

    /// Skips `count` rows (`OFFSET $n`).
    public func offset(_ count: Int) -> Self {
        var copy = self
        copy.offsetCount = .bind(count)
        return copy
    }

    /// Locks the rows read (`FOR UPDATE`...), skipping rows other transactions hold when `skipLocked`.
    public func locking(_ lock: Lock, skipLocked: Bool = false) -> Self {
        var copy = self
        copy.lock = (lock, skipLocked)
        return copy
    }

    /// Also selects a computed value, after the entity's and the joins' columns; read it from the row at
    /// ``PreparedSelect/computedColumns``.
    public func adding(_ expression: SQLExpression<Root>) -> Self {
        var copy = self
        copy.computed.append(expression)
        return copy
    }

    /// Also selects the columns of the children of `Root`'s hierarchy, so each row decodes as its kind
    /// (``PreparedSelect/decodeVariant(_:)``).
    public func includingVariantColumns() -> Self where Root: PolymorphicEntity {
        including(columnsOf: Root.variantTypes)
    }

    /// Also selects the columns of other entities of the same table (the children of a hierarchy).
    @usableFromInline
    func including(columnsOf entities: [any Entity.Type]) -> Self {
        var copy = self
        for entity in entities {
            for column in entity.columnNames
            where !copy.info.selectColumns.contains(column) && !copy.extraColumns.contains(column) {
                copy.extraColumns.append(column)
            }
        }
        return copy
    }

    /// The columns read from the root table, in select-list order: all of them, or those
    /// ``selecting(_:)`` chose (with the discriminator when the kinds' columns are read too).
    var rootColumns: [String] {
        guard let selection else { return info.selectColumns + extraColumns }
        let keepDiscriminator = !extraColumns.isEmpty
        let own = info.selectColumns.filter { selection.contains($0) || (keepDiscriminator && $0 == info.discriminatorColumn) }
        return own + extraColumns
    }

    /// Writes the statement (without a trailing semicolon) into `query`.
    func render(into query: inout PostgresQuery, usage: inout OperandUsage) throws {
        if let problem = problems.first { throw EntityQueryError(problem) }
        if case .written(let write) = source {
            query.appendUnescaped("WITH ")
            query.appendIdentifier(info.table)
            query.appendUnescaped(" AS (")
            try write(&query, &usage)
            query.appendUnescaped(" RETURNING *) ")
        }
        query.appendUnescaped("SELECT ")
        var first = true
        func separate() {
            if !first { query.appendUnescaped(", ") }
            first = false
        }
        let rootColumns = self.rootColumns
        for column in rootColumns {
            separate()
            query.appendColumn(column, of: info.table)
        }
        for join in joins {
            for column in join.selectedColumns(rootColumns) {
                separate()
                query.appendColumn(column, of: join.alias)
            }
        }
        for expression in computed {
            separate()
            try expression.render(into: &query, table: info.table, usage: &usage)
        }
        query.appendUnescaped(" FROM ")
        query.appendIdentifier(info.table)
        for join in joins {
            query.appendUnescaped(" LEFT JOIN ")
            query.appendIdentifier(join.table)
            query.appendUnescaped(" ")
            query.appendIdentifier(join.alias)
            query.appendUnescaped(" ON ")
            query.appendColumn(join.targetKey, of: join.alias)
            query.appendUnescaped(" = ")
            query.appendColumn(join.joinColumn, of: info.table)
        }
        // Rows a write returned already passed its condition (and a child's discriminator test).
        let written = if case .written = source { true } else { false }
        try whereClause.render(
            into: &query, info: info, discriminator: !written, joins: Set(joins.map(\.alias)), usage: &usage)
        if !orderings.isEmpty {
            query.appendUnescaped(" ORDER BY ")
            for (i, ordering) in orderings.enumerated() {
                if i > 0 { query.appendUnescaped(", ") }
                query.appendColumn(ordering.column, of: info.table)
                query.appendUnescaped(" " + ordering.direction.rawValue)
            }
        }
        if let limitCount {
            query.appendUnescaped(" LIMIT ")
            limitCount.render(into: &query, usage: &usage)
        }
        if let offsetCount {
            query.appendUnescaped(" OFFSET ")
            offsetCount.render(into: &query, usage: &usage)
        }
        if let (lock, skipLocked) = lock {
            query.appendUnescaped(" " + lock.rawValue + (skipLocked ? " SKIP LOCKED" : ""))
        }
    }

    /// The statement and its binds.
    public func build() throws -> PostgresQuery {
        try OperandUsage.build { query, usage in try render(into: &query, usage: &usage) }
    }

    /// The SQL text (empty when the query cannot be built).
    public var sql: String { (try? build().sql) ?? "" }

    /// Builds the statement once: constant SQL text (use ``QueryParameter``s for the values that change)
    /// and a positional decoder for its rows.
    public func prepare() throws -> PreparedSelect<Root> {
        let query = try build()
        guard query.binds.count == 0 else {
            throw EntityQueryError("a prepared statement takes its values as QueryParameter placeholders, not bound values")
        }
        return PreparedSelect(query: self, sql: query.sql)
    }

    /// Runs the query and decodes every row.
    public func all(on connection: some PostgresQueryable) async throws -> [Root] {
        let query = try build()
        let decoder = PreparedSelect(query: self, sql: query.sql)
        return try await connection.query(query).map(decoder.decode)
    }

    /// Runs the query and decodes the first row, if any (add ``limit(_:)-(Int)`` to fetch only one).
    public func first(on connection: some PostgresQueryable) async throws -> Root? {
        let query = try build()
        let rows = try await connection.query(query)
        return try rows.first.map(PreparedSelect(query: self, sql: query.sql).decode)
    }

    /// Runs the query and decodes every row, with the value of the discriminator column (nil for a table
    /// without inheritance).
    public func allWithDiscriminator(on connection: some PostgresQueryable) async throws -> [(entity: Root, discriminator: String?)] {
        let query = try build()
        let decoder = PreparedSelect(query: self, sql: query.sql)
        return try await connection.query(query).map { row in
            (try decoder.decode(row), try decoder.discriminatorIndex.map { try row.decode(String.self, at: $0) })
        }
    }
}

extension SelectQuery where Root: PolymorphicEntity {
    /// Runs the query selecting the columns of every kind, and decodes each row as the kind its
    /// discriminator names (`AnySession.authenticated(...)`), joined relations filled in.
    public func variants(on connection: some PostgresQueryable) async throws -> [Root.Variant] {
        let select = includingVariantColumns()
        let query = try select.build()
        let decoder = PreparedSelect(query: select, sql: query.sql)
        return try await connection.query(query).map(decoder.decodeVariant)
    }
}

/// Fills in one joined relation of a decoded entity from the row's columns at `positions`.
@usableFromInline
final class JoinApplier<Owner>: Sendable {
    /// Sets the relation from the row's columns at `positions` (the target's, in its reading order);
    /// `presence` is the row position of a column that is NULL exactly when there is no related row (the
    /// key, or a `NOT NULL` column of the target; -1 when neither is selected).
    @usableFromInline typealias Fill = @Sendable (inout Owner, PostgresRow, _ positions: [Int], _ presence: Int) throws -> Void

    @usableFromInline let fill: Fill

    init(_ fill: @escaping Fill) { self.fill = fill }

    /// Fills the relation in `entity` from `row`.
    @inlinable
    func apply(_ entity: inout Owner, _ row: PostgresRow, _ positions: [Int], presence: Int) throws {
        try fill(&entity, row, positions, presence)
    }

    /// The fill of the relation at `keyPath`. Inlinable: built in the module that names the relation, the
    /// closure is specialized for its entity types (compiled generically, each row paid runtime metadata
    /// lookups for `Target?` and the key path's types).
    ///
    /// A relation is a stored property (the macros declare it so): it is set at its offset in the entity,
    /// found once here, rather than through the key path for every row (a runtime key path projection).
    @inlinable
    static func filling<Target: Entity>(_ keyPath: any WritableKeyPath<Owner, Target?> & Sendable) -> Fill {
        guard let offset = MemoryLayout<Owner>.offset(of: keyPath) else {
            return { entity, row, positions, presence in
                entity[keyPath: keyPath] = try related(Target.self, row, positions, presence)
            }
        }
        return { entity, row, positions, presence in
            let value = try related(Target.self, row, positions, presence)
            withUnsafeMutablePointer(to: &entity) { pointer in
                UnsafeMutableRawPointer(pointer).advanced(by: offset).assumingMemoryBound(to: Target?.self).pointee = value
            }
        }
    }

    /// The related row, or nil when there is none (NULL at `presence`).
    @inlinable
    static func related<Target: Entity>(
        _ type: Target.Type, _ row: PostgresRow, _ positions: [Int], _ presence: Int
    ) throws -> Target? {
        guard presence >= 0, !row.isNull(at: presence) else { return nil }
        var reader = ColumnReader(row: row, positions: positions)
        return try Target(reading: &reader)
    }
}

/// The root of a single-table hierarchy whose rows decode into one of its kinds.
public protocol PolymorphicEntity: Entity {
    /// The kinds, for example an enum with a case per child entity.
    associatedtype Variant: Sendable
    /// The child entities whose columns a polymorphic select reads.
    static var variantTypes: [any Entity.Type] { get }
    /// Decodes a row as the kind `discriminator` names, through `decoder.decode(Child.self)`.
    static func variant(discriminator: String, decoder: VariantDecoder<Self>) throws -> Variant
}

extension ChildEntity {
    /// Decodes the child's own columns from `row` and takes `base` as its parent part.
    public static func decode(row: PostgresRow, base: Parent) throws -> Self {
        var child = try Self(row: row)
        child.base = base
        return child
    }
}
