import Foundation
public import LibPQ

extension TestDatabase {
    /// Runs `body` with a pool on `connection` whose `run()` runs meanwhile; afterwards `run()` is cancelled
    /// and awaited (which shuts the pool down).
    public static func withRunningPool<T>(
        _ poolConfiguration: PostgresPool.Configuration, connection: PostgresConfiguration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        let pool = PostgresPool(configuration: poolConfiguration, connection: connection)
        let runner = Task { try await pool.run() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(pool))
        } catch {
            result = .failure(error)
        }
        runner.cancel()
        try? await runner.value
        return try result.get()
    }

    /// Runs `body` with a running pool whose connections use a fresh schema of their own (dropped
    /// afterwards) and a unique `application_name` (passed to `body`, to find the pool's backends in
    /// `pg_stat_activity`). The pool is shut down (its `run()` cancelled and awaited) afterwards.
    public static func withPool<T>(
        _ configure: (inout PostgresPool.Configuration) -> Void = { _ in },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresPool, _ applicationName: String) async throws -> T
    ) async throws -> T {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let schema = "test_\(suffix)"
        let applicationName = "pooltest_\(suffix)"
        let admin = try await connect()
        try await admin.execute(script: "CREATE SCHEMA \"\(schema)\"")
        var connection = try configuration()
        let userOptions = connection["options"].map { $0 + " " } ?? ""
        connection["options"] = userOptions + "-c search_path=\(schema)"
        connection["application_name"] = applicationName
        var poolConfiguration = PostgresPool.Configuration()
        poolConfiguration.connectTimeout = .seconds(10)
        configure(&poolConfiguration)
        let result: Result<T, any Error>
        do {
            result = .success(try await withRunningPool(poolConfiguration, connection: connection) { try await body($0, applicationName) })
        } catch {
            result = .failure(error)
        }
        try? await admin.execute(script: "DROP SCHEMA \"\(schema)\" CASCADE")
        await admin.close()
        return try result.get()
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func eventually(
        timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return try await condition()
    }
}
