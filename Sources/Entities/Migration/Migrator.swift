public import LibPQ

public import Foundation
public import Logging

/// Brings a schema up to the declared entities: reads the catalog, plans with ``MigrationPlanner``, and
/// applies the plan in one transaction under a transaction-scoped advisory lock, recording every step in
/// the log table (``MigrationLog``).
///
/// Two processes migrating at once are safe: the second waits for the lock, then reads the catalog the
/// first committed, finds nothing to do and applies nothing. A second run is a no-op.
///
/// ```swift
/// let migrator = try Migrator(entities: [Article.self, Author.self])
/// let result = try await migrator.migrate(on: connection)
/// print(result.plan)
/// ```
public struct Migrator: Sendable {
    /// The key of `pg_advisory_xact_lock`: every migrator of this package takes the same lock, whatever
    /// the schema ("SESSMIGR" in ASCII).
    public static let advisoryLockKey: Int64 = 0x5345_5353_4D49_4752

    /// The declared tables.
    public var tables: [TableSchema]
    /// The schema to migrate; nil for `current_schema()`.
    public var schema: String?
    /// Options.
    public var options: MigrationOptions
    /// Where progress is logged (applied steps at `.debug`, warnings at `.warning`).
    public var logger: Logger

    /// A migrator for already-built tables.
    public init(
        tables: [TableSchema], schema: String? = nil, options: MigrationOptions = MigrationOptions(),
        logger: Logger = Logger(label: "Entities.Migrator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.tables = tables
        self.schema = schema
        self.options = options
        self.logger = logger
    }

    /// A migrator for entity declarations.
    public init(
        entities: [any Entity.Type], schema: String? = nil, options: MigrationOptions = MigrationOptions(),
        logger: Logger = Logger(label: "Entities.Migrator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(SchemaError) {
        self.init(tables: try SchemaBuilder.tables(for: entities), schema: schema, options: options, logger: logger)
    }

    /// What ``migrate(on:)`` would do now, without changing anything and without the lock.
    public func plan(on connection: some PostgresQueryable) async throws -> MigrationPlan {
        let catalog = try await CatalogReader.read(schema: schema, on: connection)
        let history = try await MigrationLog.history(table: options.logTable, schema: catalog.name, on: connection)
        return MigrationPlanner.plan(declared: tables, catalog: catalog, history: history, options: options)
    }

    /// Plans and applies, in one transaction under the advisory lock.
    public func migrate(on database: some MigrationTransactions) async throws -> MigrationResult {
        let runID = UUID()
        let (plan, applied) = try await database.withMigrationTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
            let schemaName = if let schema { schema } else { try await CatalogReader.currentSchema(on: connection) }
            // The generated DDL names tables without a schema: point search_path at the target until COMMIT.
            try await connection.query(
                "SELECT set_config('search_path', \(try PostgresQuery.quoteIdentifier(schemaName)), true)")
            // Under the lock, so checking first is safe (and spares the server's "already exists" notice).
            if try await !MigrationLog.exists(table: options.logTable, schema: schemaName, on: connection) {
                try await connection.execute(script: MigrationLog.createTableSQL(options.logTable))
            }
            let history = try await MigrationLog.history(table: options.logTable, schema: schemaName, on: connection)
            let catalog = try await CatalogReader.read(schema: schemaName, on: connection)
            let plan = MigrationPlanner.plan(declared: tables, catalog: catalog, history: history, options: options)
            for warning in plan.warnings {
                logger.warning("migration warning", metadata: ["schema": "\(schemaName)", "warning": "\(warning)"])
            }
            for step in plan.steps {
                logger.debug("applying", metadata: ["schema": "\(schemaName)", "step": "\(step)"])
                try await connection.execute(script: step.sql)
                try await MigrationLog.record(step, runID: runID, table: options.logTable, on: connection)
            }
            return (plan, plan.steps)
        }
        return MigrationResult(runID: runID, plan: plan, applied: applied)
    }
}

/// What ``Migrator/migrate(on:)`` did.
public struct MigrationResult: Sendable, Hashable {
    /// The `run_id` of the log rows this run wrote.
    public var runID: UUID
    /// The plan it followed.
    public var plan: MigrationPlan
    /// The steps applied (all of the plan's, as the transaction either commits all or none).
    public var applied: [MigrationStep]
}
