/// Compares the declared tables with a ``CatalogSchema`` and plans what to add; pure, no server needed.
///
/// Rules:
/// - a missing table is created (`CREATE TABLE` as ``SchemaGenerator`` writes it, then its indexes);
///   a missing column, index, UNIQUE constraint or foreign key of an existing table is added;
///   foreign keys come last, so the tables they reference exist;
/// - an existing column is never altered: a type, nullability or default difference is a warning;
///   likewise a declared index, constraint or primary key that exists with another shape;
/// - columns nothing declares are left alone without a word (a table shared with an application that declares more of it has many);
///   indexes and constraints nothing declares are left alone with an ``MigrationWarning/Kind/unknownObject``
///   warning, unless the migrator itself created them;
/// - what the migrator created earlier (its log says so) and the declaration no longer has is dropped only
///   with ``MigrationOptions/allowDestructive``, otherwise reported. Tables are never dropped.
public enum MigrationPlanner {
    /// Plans the migration of `catalog` to `declared`.
    public static func plan(
        declared: [TableSchema], catalog: CatalogSchema, history: [MigrationRecord] = [],
        options: MigrationOptions = MigrationOptions()
    ) -> MigrationPlan {
        var plan = MigrationPlan(schema: catalog.name)
        var creates: [MigrationStep] = []
        var foreignKeys: [MigrationStep] = []
        var drops: [MigrationStep] = []
        let created = Set(history.map(\.key))
        func migratorCreated(_ kind: MigrationStep.Kind, _ table: String, _ object: String) -> Bool {
            created.contains(.init(kind: kind, table: table, object: object))
        }

        for table in declared {
            guard let existing = catalog.tables[table.name] else {
                creates.append(
                    MigrationStep(
                        .createTable, table: table.name, object: table.name, sql: SchemaGenerator.createTable(table),
                        createdColumns: table.columns.map(\.name), createdUniques: table.uniques.map(\.name)))
                creates += table.indexes.map(createIndex(on: table.name))
                foreignKeys += table.foreignKeys.map(addForeignKey(to: table.name))
                continue
            }

            // Columns.
            for column in table.columns {
                guard let current = existing.column(named: column.name) else {
                    creates.append(
                        MigrationStep(
                            .addColumn, table: table.name, object: column.name,
                            sql: "ALTER TABLE \(quote(table.name)) ADD \(SchemaGenerator.columnDefinition(column))"))
                    if !column.isNullable, column.defaultSQL == nil, column.generation == nil {
                        plan.warnings.append(
                            .init(
                                .notNullWithoutDefault, table: table.name, object: column.name,
                                "\"\(table.name)\".\"\(column.name)\" is added NOT NULL without a default: this fails if the table has rows"))
                    }
                    continue
                }
                compare(column, current, table: table.name, into: &plan.warnings)
            }
            for column in existing.columns where table.column(named: column.name) == nil {
                guard migratorCreated(.addColumn, table.name, column.name) else { continue }
                drops.append(
                    MigrationStep(
                        .dropColumn, table: table.name, object: column.name,
                        sql: "ALTER TABLE \(quote(table.name)) DROP COLUMN \(quote(column.name))"))
            }

            // Primary key.
            if let pk = existing.primaryKey {
                if pk.columns != table.primaryKey.columns || pk.name != table.primaryKey.name {
                    plan.warnings.append(
                        .init(
                            .primaryKeyMismatch, table: table.name, object: pk.name,
                            "primary key of \"\(table.name)\" is \"\(pk.name)\" (\(pk.columns.joined(separator: ", "))), declared \"\(table.primaryKey.name)\" (\(table.primaryKey.columns.joined(separator: ", ")))"))
                }
            } else {
                plan.warnings.append(
                    .init(.primaryKeyMismatch, table: table.name, "table \"\(table.name)\" has no primary key"))
            }

            // Indexes.
            for index in table.indexes {
                guard let current = existing.index(named: index.name) else {
                    creates.append(createIndex(on: table.name)(index))
                    continue
                }
                if current.columns != index.columns || current.isUnique != index.isUnique
                    || (current.predicate == nil) != (index.predicate == nil)
                {
                    plan.warnings.append(
                        .init(
                            .indexMismatch, table: table.name, object: index.name,
                            "index \"\(index.name)\" is \(describe(current)), declared \(describe(index))"))
                }
            }
            let declaredIndexes = Set(table.indexes.map(\.name))
            for index in existing.indexes where index.constraintName == nil && !declaredIndexes.contains(index.name) {
                if migratorCreated(.createIndex, table.name, index.name) {
                    drops.append(
                        MigrationStep(.dropIndex, table: table.name, object: index.name, sql: "DROP INDEX \(quote(index.name))"))
                } else {
                    plan.warnings.append(
                        .init(
                            .unknownObject, table: table.name, object: index.name,
                            "index \"\(index.name)\" on \"\(table.name)\" is not declared; left alone"))
                }
            }

            // UNIQUE constraints.
            for unique in table.uniques {
                guard let current = existing.constraint(named: unique.name) else {
                    creates.append(
                        MigrationStep(
                            .addUnique, table: table.name, object: unique.name,
                            sql: "ALTER TABLE \(quote(table.name)) ADD CONSTRAINT \(quote(unique.name)) UNIQUE (\(quoteList(unique.columns)))"))
                    continue
                }
                if current.kind != .unique || current.columns != unique.columns {
                    plan.warnings.append(
                        .init(
                            .uniqueMismatch, table: table.name, object: unique.name,
                            "constraint \"\(unique.name)\" is not UNIQUE (\(unique.columns.joined(separator: ", ")))"))
                }
            }
            let declaredUniques = Set(table.uniques.map(\.name))
            for constraint in existing.constraints where constraint.kind == .unique && !declaredUniques.contains(constraint.name) {
                if migratorCreated(.addUnique, table.name, constraint.name) {
                    drops.append(
                        MigrationStep(
                            .dropUnique, table: table.name, object: constraint.name,
                            sql: "ALTER TABLE \(quote(table.name)) DROP CONSTRAINT \(quote(constraint.name))"))
                } else {
                    plan.warnings.append(
                        .init(
                            .unknownObject, table: table.name, object: constraint.name,
                            "unique constraint \"\(constraint.name)\" on \"\(table.name)\" is not declared; left alone"))
                }
            }

            // Foreign keys.
            for fk in table.foreignKeys {
                guard let current = existing.constraint(named: fk.name) else {
                    foreignKeys.append(addForeignKey(to: table.name)(fk))
                    continue
                }
                if current.kind != .foreignKey || current.columns != fk.columns
                    || current.referencedTable != fk.referencedTable || current.referencedColumns != fk.referencedColumns
                    || current.onDelete != fk.onDelete || current.onUpdate != fk.onUpdate
                {
                    plan.warnings.append(
                        .init(
                            .foreignKeyMismatch, table: table.name, object: fk.name,
                            "foreign key \"\(fk.name)\" differs from the declared \(SchemaGenerator.addForeignKey(fk, to: table.name))"))
                }
            }
            let declaredForeignKeys = Set(table.foreignKeys.map(\.name))
            for constraint in existing.constraints
            where constraint.kind == .foreignKey && !declaredForeignKeys.contains(constraint.name) {
                if migratorCreated(.addForeignKey, table.name, constraint.name) {
                    drops.append(
                        MigrationStep(
                            .dropForeignKey, table: table.name, object: constraint.name,
                            sql: "ALTER TABLE \(quote(table.name)) DROP CONSTRAINT \(quote(constraint.name))"))
                } else {
                    plan.warnings.append(
                        .init(
                            .unknownObject, table: table.name, object: constraint.name,
                            "foreign key \"\(constraint.name)\" on \"\(table.name)\" is not declared; left alone"))
                }
            }
        }

        // Destructive steps: foreign keys first, columns last; each only when allowed.
        let order: [MigrationStep.Kind] = [.dropForeignKey, .dropUnique, .dropIndex, .dropColumn]
        let orderedDrops = drops.sorted { order.firstIndex(of: $0.kind)! < order.firstIndex(of: $1.kind)! }
        if options.allowDestructive {
            plan.steps += orderedDrops
        } else {
            plan.warnings += orderedDrops.map {
                MigrationWarning(
                    .destructiveStepSkipped, table: $0.table, object: $0.object,
                    "\($0.description) (created by an earlier migration, no longer declared) needs allowDestructive")
            }
        }
        plan.steps += creates + foreignKeys
        return plan
    }

    static func compare(_ column: TableColumn, _ current: CatalogColumn, table: String, into warnings: inout [MigrationWarning]) {
        let expected = CatalogNormalization.expectedType(column)
        let actual = CatalogNormalization.normalizeType(current.type)
        if expected != actual {
            warnings.append(
                .init(
                    .typeMismatch, table: table, object: column.name,
                    "\"\(table)\".\"\(column.name)\" is \(current.type), declared \(expected); not changed"))
        }
        if column.isNullable != current.isNullable {
            warnings.append(
                .init(
                    .nullabilityMismatch, table: table, object: column.name,
                    "\"\(table)\".\"\(column.name)\" is \(current.isNullable ? "nullable" : "NOT NULL"), declared \(column.isNullable ? "nullable" : "NOT NULL"); not changed"))
        }
        if !CatalogNormalization.defaultMatches(column, current) {
            let declared = column.generation == .increment ? "nextval(...)" : (column.defaultSQL ?? "no default")
            warnings.append(
                .init(
                    .defaultMismatch, table: table, object: column.name,
                    "\"\(table)\".\"\(column.name)\" has default \(current.defaultSQL ?? "none"), declared \(declared); not changed"))
        }
    }

    static func createIndex(on table: String) -> (TableIndex) -> MigrationStep {
        { index in
            MigrationStep(
                .createIndex, table: table, object: index.name, sql: SchemaGenerator.createIndex(index, on: table))
        }
    }

    static func addForeignKey(to table: String) -> (ForeignKey) -> MigrationStep {
        { fk in
            MigrationStep(.addForeignKey, table: table, object: fk.name, sql: SchemaGenerator.addForeignKey(fk, to: table))
        }
    }

    static func describe(_ index: CatalogIndex) -> String {
        "\(index.isUnique ? "UNIQUE " : "")(\(index.columns.joined(separator: ", ")))\(index.predicate.map { " WHERE \($0)" } ?? "")"
    }

    static func describe(_ index: TableIndex) -> String {
        "\(index.isUnique ? "UNIQUE " : "")(\(index.columns.joined(separator: ", ")))\(index.predicate.map { " WHERE \($0)" } ?? "")"
    }

    static func quote(_ name: String) -> String { SchemaGenerator.quote(name) }
    static func quoteList(_ names: [String]) -> String { SchemaGenerator.quoteList(names) }
}

/// Options of a migration.
public struct MigrationOptions: Sendable, Hashable {
    /// Whether to drop what the migrator created earlier and the declaration no longer has (columns,
    /// indexes, UNIQUE constraints, foreign keys). Off by default: such steps are reported as warnings.
    public var allowDestructive: Bool
    /// The log table (in the migrated schema).
    public var logTable: String

    /// Creates options.
    public init(allowDestructive: Bool = false, logTable: String = MigrationLog.defaultTableName) {
        self.allowDestructive = allowDestructive
        self.logTable = logTable
    }
}
