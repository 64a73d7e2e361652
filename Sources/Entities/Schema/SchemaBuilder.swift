/// Turns entity declarations into tables the way TypeORM's `EntityMetadataBuilder` does for PostgreSQL:
/// single-table inheritance children are folded into their root's table, join columns are added for
/// relations, embedded columns are prefixed, and every generated name follows ``NamingStrategy``.
public enum SchemaBuilder {
    /// PostgreSQL truncates identifiers to `NAMEDATALEN - 1` bytes.
    public static let maximumIdentifierLength = 63

    /// The tables of `entities`, one per root entity, in the order the roots are given (a child whose root
    /// is missing brings its root in at the child's place).
    public static func tables(for entities: [any Entity.Type]) throws(SchemaError) -> [TableSchema] {
        var roots: [any Entity.Type] = []
        var children: [ObjectIdentifier: [any Entity.Type]] = [:]
        for entity in entities {
            let root = rootEntity(of: entity)
            if !roots.contains(where: { $0 == root }) { roots.append(root) }
            if root != entity {
                var list = children[ObjectIdentifier(root), default: []]
                if !list.contains(where: { $0 == entity }) { list.append(entity) }
                children[ObjectIdentifier(root)] = list
            }
        }
        let known = Set(roots.map { ObjectIdentifier($0) })
        var tables: [TableSchema] = []
        for root in roots {
            let table = try table(root: root, children: children[ObjectIdentifier(root)] ?? [], known: known)
            if tables.contains(where: { $0.name == table.name }) {
                throw SchemaError(.duplicateTable, "two entities map to the table \"\(table.name)\"")
            }
            tables.append(table)
        }
        return tables
    }

    static func rootEntity(of entity: any Entity.Type) -> any Entity.Type {
        if case .child(let parent, _) = entity.entityMetadata.inheritance { return rootEntity(of: parent) }
        return entity
    }

    /// Builds one table from a root entity and its single-table children.
    static func table(root: any Entity.Type, children: [any Entity.Type], known: Set<ObjectIdentifier>)
        throws(SchemaError) -> TableSchema
    {
        let rootMeta = root.entityMetadata
        let tableName = rootMeta.resolvedTableName
        try checkLength(tableName, "table name of \(rootMeta.entityName)")
        let members: [(meta: EntityMetadata, isChild: Bool)] =
            [(rootMeta, false)] + children.map { ($0.entityMetadata, true) }

        var columns: [TableColumn] = []
        var propertyColumns: [String: String] = [:]  // property name → column name, for index resolution
        func add(_ column: ColumnMetadata, nullable: Bool, named name: String? = nil) throws(SchemaError) {
            let name = name ?? column.name
            try checkLength(name, "column name of \(tableName).\(column.propertyName)")
            guard !columns.contains(where: { $0.name == name }) else {
                throw SchemaError(.duplicateColumn, "table \"\(tableName)\" has two columns named \"\(name)\"")
            }
            columns.append(
                TableColumn(
                    name: name, type: column.type, fullType: PostgresColumnType.fullType(column),
                    isNullable: column.isNullable || nullable, defaultSQL: column.defaultValue?.sql,
                    isPrimary: column.isPrimary, generation: column.generation))
        }

        // Registered columns: decorators first (root, then children), then the deferred ones, rank by rank.
        let registrations = Set(members.flatMap { $0.meta.columns.map(\.registration) }).sorted()
        for registration in registrations {
            for (meta, isChild) in members {
                for column in meta.columns where column.registration == registration {
                    try add(column, nullable: isChild)
                    propertyColumns[column.propertyName] = column.name
                }
            }
        }
        // The discriminator.
        var inheritance: TableSchema.Inheritance?
        if case .parent(let discriminator, let type) = rootMeta.inheritance {
            try add(ColumnMetadata(propertyName: discriminator, type: type), nullable: false)
            var values = [(rootMeta.entityName, rootMeta.entityName)]
            for child in children {
                if case .child(_, let value) = child.entityMetadata.inheritance {
                    values.append((child.entityMetadata.entityName, value))
                }
            }
            inheritance = TableSchema.Inheritance(column: discriminator, values: values)
        }
        // Join columns of relations that no declared column stores.
        var foreignKeys: [ForeignKey] = []
        var joinColumnsToAdd: [(ColumnMetadata, Bool)] = []
        for (meta, isChild) in members {
            for relation in meta.relations {
                guard known.contains(ObjectIdentifier(rootEntity(of: relation.target))) else {
                    throw SchemaError(
                        .missingEntity,
                        "\(meta.entityName).\(relation.propertyName) refers to \(relation.target.entityMetadata.entityName), which is not among the entities")
                }
                let target = relation.target.entityMetadata
                let targetRoot = rootEntity(of: relation.target).entityMetadata
                let targetKeys = targetRoot.columns.filter(\.isPrimary)
                propertyColumns[relation.propertyName] = relation.joinColumn
                if !columns.contains(where: { $0.name == relation.joinColumn }),
                    !joinColumnsToAdd.contains(where: { $0.0.name == relation.joinColumn })
                {
                    let key = targetKeys.first
                    let type = key?.generation == .uuid ? "uuid" : (key?.type ?? "integer")
                    joinColumnsToAdd.append(
                        (
                            ColumnMetadata(
                                propertyName: relation.propertyName, name: relation.joinColumn, type: type,
                                isNullable: relation.isNullable),
                            isChild
                        ))
                }
                let fkName = NamingStrategy.foreignKeyName(table: tableName, columns: [relation.joinColumn])
                foreignKeys.append(
                    ForeignKey(
                        name: fkName, columns: [relation.joinColumn], referencedTable: target.resolvedTableName,
                        referencedColumns: targetKeys.map(\.name), onDelete: relation.onDelete,
                        onUpdate: relation.onUpdate))
            }
        }
        for (column, isChild) in joinColumnsToAdd { try add(column, nullable: isChild) }
        // Embedded columns come last (TypeORM appends `embedded.columnsFromTree` to the own columns).
        for (meta, isChild) in members {
            for embedded in meta.embeddeds {
                for column in embedded.columns {
                    let name = NamingStrategy.embeddedColumnName(prefix: embedded.prefix, column.name)
                    try add(column, nullable: isChild, named: name)
                    propertyColumns["\(embedded.propertyName).\(column.propertyName)"] = name
                }
            }
        }

        let primary = columns.filter(\.isPrimary).map(\.name)
        guard !primary.isEmpty else {
            throw SchemaError(.missingPrimaryKey, "entity \(rootMeta.entityName) has no primary column")
        }
        let primaryKey = TableSchema.Constraint(
            name: NamingStrategy.primaryKeyName(table: tableName, columns: primary), columns: primary)

        var uniques: [TableSchema.Constraint] = []
        for (meta, isChild) in members {
            for column in meta.columns where column.isUnique {
                _ = isChild
                uniques.append(
                    .init(
                        name: NamingStrategy.uniqueConstraintName(table: tableName, columns: [column.name]),
                        columns: [column.name]))
            }
            for embedded in meta.embeddeds {
                for column in embedded.columns where column.isUnique {
                    let name = NamingStrategy.embeddedColumnName(prefix: embedded.prefix, column.name)
                    uniques.append(
                        .init(
                            name: NamingStrategy.uniqueConstraintName(table: tableName, columns: [name]),
                            columns: [name]))
                }
            }
        }

        var indexes: [TableIndex] = []
        for (meta, _) in members {
            for index in meta.indexes {
                var names: [String] = []
                for property in index.columns {
                    if let column = propertyColumns[property] {
                        names.append(column)
                    } else if columns.contains(where: { $0.name == property }) {
                        names.append(property)
                    } else {
                        throw SchemaError(
                            .unknownColumn, "an index of \(meta.entityName) names \"\(property)\", which is not a column")
                    }
                }
                let name = index.name
                    ?? NamingStrategy.indexName(table: tableName, columns: names, where: index.predicate)
                indexes.append(TableIndex(name: name, columns: names, isUnique: index.isUnique, predicate: index.predicate))
            }
        }
        // TypeORM indexes the discriminator unless a single-column index on it was declared.
        if let inheritance, !indexes.contains(where: { $0.columns == [inheritance.column] }) {
            indexes.append(
                TableIndex(
                    name: NamingStrategy.indexName(table: tableName, columns: [inheritance.column]),
                    columns: [inheritance.column], isUnique: false, predicate: nil))
        }

        for name in [primaryKey.name] + uniques.map(\.name) + indexes.map(\.name) + foreignKeys.map(\.name) {
            try checkLength(name, "constraint or index name on \(tableName)")
        }
        return TableSchema(
            name: tableName, columns: columns, primaryKey: primaryKey, uniques: uniques, indexes: indexes,
            foreignKeys: foreignKeys, inheritance: inheritance)
    }

    /// Throws when `identifier` is longer than PostgreSQL keeps.
    public static func checkLength(_ identifier: String, _ what: String) throws(SchemaError) {
        let bytes = identifier.utf8.count
        guard bytes <= maximumIdentifierLength else {
            throw SchemaError(
                .identifierTooLong,
                "\(what) \"\(identifier)\" is \(bytes) bytes; PostgreSQL keeps only \(maximumIdentifierLength)")
        }
    }
}
