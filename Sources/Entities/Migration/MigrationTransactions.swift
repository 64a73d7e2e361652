public import LibPQ

/// Where a migration runs: something that can run a body of statements in one transaction on one
/// connection. LibPQ's `PostgresConnection` conforms (`BEGIN`/`COMMIT`/`ROLLBACK` on itself), and so does
/// `PostgresPool` (a transaction on a connection it leases for the migration): `migrator.migrate(on: pool)`.
public protocol MigrationTransactions: Sendable {
    /// Runs `body` in a transaction: `COMMIT` when it returns, `ROLLBACK` when it throws.
    func withMigrationTransaction<T: Sendable>(_ body: (any PostgresQueryable) async throws -> T) async throws -> T
}

extension PostgresConnection: MigrationTransactions {
    /// Runs `body` between `BEGIN` and `COMMIT` on this connection (`ROLLBACK` when it throws). No other
    /// task may use the connection meanwhile: its statements would join the transaction.
    public func withMigrationTransaction<T: Sendable>(
        _ body: (any PostgresQueryable) async throws -> T
    ) async throws -> T {
        try await query("BEGIN")
        let value: T
        do {
            value = try await body(self)
        } catch {
            _ = try? await query("ROLLBACK")
            throw error
        }
        try await query("COMMIT")
        return value
    }
}

extension PostgresPool: MigrationTransactions {
    /// Runs `body` in a transaction on a connection of the pool's, leased for the whole migration
    /// (`withTransaction`: `ROLLBACK` when `body` throws).
    public func withMigrationTransaction<T: Sendable>(
        _ body: (any PostgresQueryable) async throws -> T
    ) async throws -> T {
        try await withTransaction { transaction in try await body(transaction) }
    }
}
