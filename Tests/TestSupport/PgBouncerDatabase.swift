import Foundation
import Testing
public import LibPQ

/// Where PgBouncer tests find PgBouncer (`PGBOUNCER_URL`) and the server behind it (`PRIMARY_URL`, else
/// `DATABASE_URL`), as `scripts/test-cluster` exports them from `scripts/pg-cluster start --pgbouncer`.
///
/// Each test gets a database of its own, created on the server directly: PgBouncer's `*` entry routes any
/// database name to the server, and a transaction pooler cannot carry the `search_path` startup option
/// the schema-per-test helpers use.
public enum PgBouncerDatabase {
    static let environment = ProcessInfo.processInfo.environment

    /// PgBouncer's URL, when set.
    public static let bouncerURL: String? = environment["PGBOUNCER_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// The server's own URL: `PRIMARY_URL`, else `DATABASE_URL`.
    public static let directURL: String? =
        (environment["PRIMARY_URL"].flatMap { $0.isEmpty ? nil : $0 })
        ?? (environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 })

    /// Whether both are set (PgBouncer tests are skipped otherwise, also in CI: the cluster is started by
    /// `scripts/test-cluster`, not by `scripts/test`).
    public static var isConfigured: Bool { bouncerURL != nil && directURL != nil }

    public static let skipMessage: Comment =
        "no PgBouncer configured: run `scripts/test-cluster` (it starts PostgreSQL and PgBouncer), or set PGBOUNCER_URL and PRIMARY_URL"

    /// The configuration through PgBouncer for `database` (defaults otherwise: ``PostgresConfiguration/pooler``
    /// stays `.automatic`).
    public static func bouncer(_ database: String) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(bouncerURL ?? "")
        configuration["dbname"] = database
        configuration.connectTimeout = .seconds(10)
        return configuration
    }

    /// The configuration of the server itself for `database`.
    public static func direct(_ database: String) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(directURL ?? "")
        configuration["dbname"] = database
        configuration.connectTimeout = .seconds(10)
        return configuration
    }

    /// Runs `body` with a fresh database (its name passed in), created on the server directly and dropped
    /// afterwards (`WITH (FORCE)`: PgBouncer keeps server connections to it open).
    public static func withDatabase<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (_ database: String) async throws -> T
    ) async throws -> T {
        let name = "pgb_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        var adminConfiguration = try PostgresConfiguration(directURL ?? "")
        adminConfiguration.connectTimeout = .seconds(10)
        let admin = try await PostgresConnection.connect(configuration: adminConfiguration)
        try await admin.execute(script: "CREATE DATABASE \(name)")
        let result: Result<T, any Error>
        do {
            result = .success(try await body(name))
        } catch {
            result = .failure(error)
        }
        try? await admin.execute(script: "DROP DATABASE \(name) WITH (FORCE)")
        await admin.close()
        return try result.get()
    }

    /// Runs `body` with a running pool on `connection`, shut down afterwards.
    public static func withPool<T>(
        _ connection: PostgresConfiguration,
        _ configure: (inout PostgresPool.Configuration) -> Void = { _ in },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        var poolConfiguration = PostgresPool.Configuration()
        poolConfiguration.connectTimeout = .seconds(10)
        configure(&poolConfiguration)
        return try await TestDatabase.withRunningPool(poolConfiguration, connection: connection, body)
    }
}
