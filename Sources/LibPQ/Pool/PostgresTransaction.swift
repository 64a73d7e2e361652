import Synchronization

extension PostgresPool {
    /// Runs `body` in a transaction on a connection of its own: `BEGIN` (with the given options), then
    /// `COMMIT` when `body` returns, `ROLLBACK` when it throws or the task is cancelled (the error is
    /// rethrown; cancellation throws `cancelled`). Nested transactions: ``PostgresTransaction/withSavepoint(callerIsolation:_:)``.
    ///
    /// - Throws: what `body` throws; `server` with SQLSTATE 25P02 when `COMMIT` found the transaction
    ///   failed (a statement failed and `body` caught the error) and the server rolled it back.
    @discardableResult
    public func withTransaction<T>(
        isolation: PostgresTransaction.IsolationLevel? = nil,
        readOnly: Bool = false,
        deferrable: Bool = false,
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        var begin = "BEGIN"
        if let isolation { begin += " ISOLATION LEVEL " + isolation.sql }
        begin += readOnly ? " READ ONLY" : ""
        begin += deferrable ? " DEFERRABLE" : ""
        return try await withConnection { connection in
            try await PostgresTransaction.run(on: connection, begin: begin, depth: 0, body)
        }
    }
}

/// A transaction (or a savepoint inside one) running on a pinned connection.
///
/// Its statements may run concurrently: they are pipelined on the transaction's connection. The handle
/// stops working when its transaction or savepoint ends (statements then throw `closed`).
public struct PostgresTransaction: PostgresQueryable {
    /// The isolation level of a transaction.
    public enum IsolationLevel: Sendable, Hashable {
        case readUncommitted, readCommitted, repeatableRead, serializable

        var sql: String {
            switch self {
            case .readUncommitted: "READ UNCOMMITTED"
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        }
    }

    final class Scope: Sendable {
        let open = Atomic<Bool>(true)
    }

    let connection: PostgresConnection
    let scope: Scope
    /// 0 for the transaction, n for the n-th nested savepoint.
    let depth: Int

    /// Runs a statement in the transaction.
    @discardableResult
    nonisolated(nonsending) public func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
        try checkOpen(query.sql)
        return try await connection.query(query, timeout: timeout)
    }

    /// Runs a multi-statement script in the transaction (it must not end the transaction).
    public func execute(script: String, timeout: Duration?) async throws {
        try checkOpen(script)
        try await connection.execute(script: script, timeout: timeout)
    }

    /// Runs `body` inside a savepoint: `RELEASE SAVEPOINT` when it returns, `ROLLBACK TO SAVEPOINT` when
    /// it throws (the error is rethrown; the outer transaction goes on).
    @discardableResult
    public func withSavepoint<T>(
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try checkOpen("SAVEPOINT")
        let name = "sp_\(depth + 1)"
        return try await Self.run(
            on: connection, begin: "SAVEPOINT " + name, depth: depth + 1,
            commit: "RELEASE SAVEPOINT " + name, rollback: "ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)",
            body)
    }

    /// A nested transaction: the same as ``withSavepoint(callerIsolation:_:)``.
    @discardableResult
    public func withTransaction<T>(
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try await withSavepoint(body)
    }

    private func checkOpen(_ sql: String) throws {
        guard scope.open.load(ordering: .acquiring) else {
            throw PostgresError(code: .closed, message: "the transaction has ended", query: sql)
        }
    }

    static func run<T>(
        on connection: PostgresConnection, begin: String, depth: Int,
        commit: String = "COMMIT", rollback: String = "ROLLBACK",
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try await connection.query(PostgresQuery(unsafeSQL: begin), timeout: nil)
        let tx = PostgresTransaction(connection: connection, scope: Scope(), depth: depth)
        let value: T
        do {
            value = try await body(tx)
            tx.scope.open.store(false, ordering: .releasing)
            if Task.isCancelled {
                throw PostgresError(code: .cancelled, message: "the task was cancelled; the transaction was rolled back", query: begin)
            }
        } catch {
            tx.scope.open.store(false, ordering: .releasing)
            for statement in rollback.split(separator: ";") {
                _ = try? await connection.queryIgnoringCancellation(String(statement.drop { $0 == " " }))
            }
            throw error
        }
        let rows = try await connection.queryIgnoringCancellation(commit)
        if commit == "COMMIT", rows.commandTag == "ROLLBACK" {
            var info = PostgresError.ServerInfo(
                sqlState: "25P02", severity: "ERROR", message: "the transaction had failed; COMMIT rolled it back")
            info.hint = "a statement inside the transaction failed and its error was caught"
            throw PostgresError(code: .server, message: info.message, serverInfo: info, query: commit)
        }
        return value
    }
}
