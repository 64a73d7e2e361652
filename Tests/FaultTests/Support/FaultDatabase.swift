import Foundation
import LibPQ
import TestSupport

/// One test's corner of the fault cluster: a schema of its own and a unique `application_name`, so the
/// test finds (and kills) only its own pool's backends in `pg_stat_activity`.
struct FaultDatabase: Sendable {
    let environment: FaultEnvironment
    /// `fault_<label>_<random>`: the schema's name and the pool's `application_name`.
    let name: String

    init(_ label: String) throws {
        environment = try FaultEnvironment.current()
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        name = "fault_\(label)_\(suffix)"
    }

    var control: ServerControl { ServerControl(environment: environment) }

    /// The superuser configuration of this test's pool: its schema first on the `search_path`, its
    /// application name.
    func poolConnection() throws -> PostgresConfiguration {
        try environment.superuser(applicationName: name, schema: name)
    }

    /// Runs `body` on a fresh superuser connection of its own (not the pool's application name), closed
    /// afterwards. A fresh one each time, so it works after the server restarted.
    func admin<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: try environment.superuser(applicationName: "fault_admin", schema: name))
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Creates the schema and runs `ddl` in it.
    func createSchema(_ ddl: String = "") async throws {
        try await admin { c in
            try await c.execute(script: "CREATE SCHEMA \"\(name)\"")
            if !ddl.isEmpty { try await c.execute(script: ddl) }
        }
    }

    func dropSchema() async {
        try? await admin { c in try await c.execute(script: "DROP SCHEMA IF EXISTS \"\(name)\" CASCADE") }
    }

    /// Runs `body` with a pool on this test's schema whose `run()` runs meanwhile (cancelled and awaited
    /// afterwards, which shuts the pool down), in this test's schema (created before, dropped after).
    func withPool<T>(
        ddl: String = "",
        _ configure: (inout PostgresPool.Configuration) -> Void = { _ in },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        try await createSchema(ddl)
        var configuration = PostgresPool.Configuration()
        configure(&configuration)
        let connection = try poolConnection()
        let result: Result<T, any Error>
        do {
            result = .success(try await TestDatabase.withRunningPool(configuration, connection: connection, body))
        } catch {
            result = .failure(error)
        }
        await dropSchema()
        return try result.get()
    }

    /// The backends of this test's pool: pid, state, query.
    func backends() async throws -> [(pid: Int32, state: String, query: String)] {
        try await admin { c in
            try await c.query(
                "SELECT pid, coalesce(state, ''), query FROM pg_stat_activity WHERE application_name = \(name)"
            ).decode((Int32, String, String).self).map { ($0.0, $0.1, $0.2) }
        }
    }

    /// Terminates every backend of this test's pool; returns their pids.
    @discardableResult
    func terminateBackends() async throws -> [Int32] {
        try await admin { c in
            try await c.query(
                // Materialized first: in one WHERE clause the planner may call pg_terminate_backend before
                // the other conditions, on this very backend.
                """
                WITH pool AS MATERIALIZED (
                  SELECT pid FROM pg_stat_activity WHERE application_name = \(name) AND pid <> pg_backend_pid())
                SELECT pid FROM pool WHERE pg_terminate_backend(pid)
                """
            ).decodeColumn(Int32.self)
        }
    }

    /// Polls `condition` every `interval` until it held `times` polls in a row or `timeout` passed;
    /// returns how long that took, or nil when it never settled.
    static func settle(
        timeout: Duration, every interval: Duration = .milliseconds(20), times: Int = 1,
        isolation: isolated (any Actor)? = #isolation,
        _ condition: () async throws -> Bool
    ) async throws -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        var streak = 0
        while clock.now - start < timeout {
            if try await condition() {
                streak += 1
                if streak >= times { return clock.now - start }
            } else {
                streak = 0
            }
            try await Task.sleep(for: interval)
        }
        return nil
    }
}
