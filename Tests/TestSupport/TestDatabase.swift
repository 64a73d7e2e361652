import Foundation
import Testing
public import LibPQ
public import Logging

/// Where integration tests find their server: `DATABASE_URL`, or libpq's `PGHOST`/`PGPORT`/... variables.
///
/// Outside CI, when neither is set, integration tests are skipped with ``skipMessage``. In CI (`CI=true`)
/// they always run, so a missing server fails them instead of hiding them.
public enum TestDatabase {
    public static let isCI: Bool = ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false

    public static let isConfigured: Bool = {
        let env = ProcessInfo.processInfo.environment
        return isCI || env["DATABASE_URL"].map { !$0.isEmpty } == true || env["PGHOST"] != nil
    }()

    public static let skipMessage: Comment =
        "no PostgreSQL configured: run `scripts/test` (it starts a throwaway server), or set DATABASE_URL"

    /// The configuration tests connect with.
    public static func configuration() throws -> PostgresConfiguration {
        var config = try PostgresConfiguration.fromEnvironment()
        config.connectTimeout = .seconds(10)
        return config
    }

    /// Opens a connection.
    public static func connect(
        _ adjust: (inout PostgresConfiguration) -> Void = { _ in }
    ) async throws -> PostgresConnection {
        var config = try configuration()
        adjust(&config)
        return try await PostgresConnection.connect(configuration: config)
    }

    /// Opens another connection whose `search_path` is `schema` (for example the schema of
    /// ``withSchema(_:_:)``, when a test needs several connections on it).
    public static func connect(
        schema: String,
        logger: Logger? = nil,
        _ adjust: (inout PostgresConfiguration) -> Void = { _ in }
    ) async throws -> PostgresConnection {
        var config = try configuration()
        adjust(&config)
        let userOptions = config["options"].map { $0 + " " } ?? ""
        config["options"] = userOptions + "-c search_path=\(schema)"
        if let logger {
            return try await PostgresConnection.connect(configuration: config, logger: logger)
        }
        return try await PostgresConnection.connect(configuration: config)
    }

    /// Runs `body` with a connection whose `search_path` is a fresh schema of its own, dropped afterwards.
    public static func withSchema<T>(
        _ adjust: (inout PostgresConfiguration) -> Void = { _ in },
        _ body: (PostgresConnection, String) async throws -> T
    ) async throws -> T {
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        var config = try configuration()
        adjust(&config)
        let userOptions = config["options"].map { $0 + " " } ?? ""
        config["options"] = userOptions + "-c search_path=\(schema)"
        let connection = try await PostgresConnection.connect(configuration: config)
        try await connection.execute(script: "CREATE SCHEMA \"\(schema)\"")
        do {
            let result = try await body(connection, String(schema))
            try await connection.execute(script: "DROP SCHEMA \"\(schema)\" CASCADE")
            await connection.close()
            return result
        } catch {
            try? await connection.execute(script: "DROP SCHEMA \"\(schema)\" CASCADE")
            await connection.close()
            throw error
        }
    }
}
