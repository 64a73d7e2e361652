/// Something that runs queries: a ``PostgresConnection`` or a pool. Code above the driver (the entity
/// layer, the session store) is written against this protocol.
public protocol PostgresQueryable: Sendable {
    /// Runs one statement; see ``PostgresConnection/query(_:timeout:)``.
    @discardableResult
    nonisolated(nonsending) func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows
    /// Runs a multi-statement script with the simple query protocol.
    func execute(script: String, timeout: Duration?) async throws
}

extension PostgresQueryable {
    /// Runs one statement without a timeout.
    @discardableResult
    nonisolated(nonsending) public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await self.query(query, timeout: nil)
    }

    /// Runs a script without a timeout.
    public func execute(script: String) async throws {
        try await execute(script: script, timeout: nil)
    }
}

extension PostgresConnection: PostgresQueryable {}
