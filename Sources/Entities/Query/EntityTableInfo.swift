import LibPQ

/// What the query builder needs to know about an entity's table.
struct EntityTableInfo: Sendable {
    /// The table name.
    var table: String
    /// The discriminator column of the table's single-table hierarchy, if any.
    var discriminatorColumn: String?
    /// For a child entity: the value its rows hold in the discriminator column.
    var discriminatorValue: String?
    /// The primary key columns.
    var primaryKey: [String]
    /// The columns to select: the entity's own, plus the discriminator.
    var selectColumns: [String]

    init(_ entity: any Entity.Type) {
        table = entity.tableName
        var root: any Entity.Type = entity
        while case .child(let parent, _) = root.entityMetadata.inheritance { root = parent }
        if case .parent(let column, _) = root.entityMetadata.inheritance { discriminatorColumn = column }
        if case .child(_, let value) = entity.entityMetadata.inheritance { discriminatorValue = value }
        primaryKey = root.entityMetadata.columns.filter(\.isPrimary).map(\.name)
        selectColumns = entity.columnNames
        if let discriminatorColumn, !selectColumns.contains(discriminatorColumn) {
            selectColumns.append(discriminatorColumn)
        }
    }

    /// The relations of the entity and of its parents.
    static func relations(of entity: any Entity.Type) -> [RelationMetadata] {
        var out = entity.entityMetadata.relations
        var current: any Entity.Type = entity
        while case .child(let parent, _) = current.entityMetadata.inheritance {
            out += parent.entityMetadata.relations
            current = parent
        }
        return out
    }
}

extension PostgresQuery {
    /// Appends `"table"."column"`.
    mutating func appendColumn(_ column: String, of table: String) {
        appendIdentifier(table)
        appendUnescaped(".")
        appendIdentifier(column)
    }
}

/// The `WHERE` clause shared by select, update and delete: the user's condition, and for a child entity
/// the discriminator test (`"session"."type" = 'AuthenticatedSession'`, a constant).
struct WhereClause<Root: Entity>: Sendable {
    var predicate: EntityPredicate<Root>?

    mutating func add(_ condition: EntityPredicate<Root>) {
        predicate = predicate.map { $0 && condition } ?? condition
    }

    func render(
        into query: inout PostgresQuery, info: EntityTableInfo, discriminator includeDiscriminator: Bool = true,
        joins: Set<String> = [], usage: inout OperandUsage
    ) throws {
        let table = info.table
        let discriminator =
            includeDiscriminator
            ? info.discriminatorColumn.flatMap { column in info.discriminatorValue.map { (column, $0) } } : nil
        guard predicate != nil || discriminator != nil else { return }
        query.appendUnescaped(" WHERE ")
        if let (column, value) = discriminator {
            query.appendColumn(column, of: table)
            query.appendUnescaped(" = " + SQLLiteral(value).sql)
            if predicate != nil { query.appendUnescaped(" AND ") }
        }
        try predicate?.render(into: &query, table: table, joins: joins, usage: &usage)
    }
}
