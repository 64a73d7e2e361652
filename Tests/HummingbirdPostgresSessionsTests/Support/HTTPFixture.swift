#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LibPQ
import Logging
import Sessions
import StorefrontExample
import Synchronization
import TestSupport

/// A database for one test: a fresh schema with the storefront's tables and seed data.
struct StorefrontDatabaseFixture {
    /// A connection whose `search_path` is the schema, for checks in SQL.
    let connection: PostgresConnection
    let schema: String
    /// How the servers reach the schema.
    let configuration: PostgresConfiguration

    /// A storefront server on this schema, listening on a free port of 127.0.0.1.
    func storefront(
        logs: CapturedLogs? = nil, _ configure: (inout StorefrontConfiguration) -> Void = { _ in }
    ) -> Storefront {
        var configuration = StorefrontConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.invalidationChannel = "sessions_\(schema)"
        configure(&configuration)
        let logger: Logger
        if let logs {
            var captured = Logger(label: "storefront-test", factory: { _ in CapturingLogHandler(storage: logs) })
            captured.logLevel = .trace
            logger = captured
        } else {
            logger = Logger(label: "storefront-test", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        return Storefront(configuration: configuration, database: self.configuration, logger: logger)
    }

    /// The `invalidated` flag and expiry of the session with `token`, or nil when there is no such row.
    func row(token: String) async throws -> (invalidated: Bool, expires: Date, activeChannelId: Int?)? {
        let rows = try await connection.query(
            "SELECT invalidated, expires, \"activeChannelId\" FROM session WHERE token = \(token)")
        guard let row = rows.first else { return nil }
        let (invalidated, expires, channel) = try row.decode((Bool, Date, Int?).self)
        return (invalidated, expires, channel)
    }

    /// The number of rows in `session`.
    func sessionCount() async throws -> Int {
        try await connection.query("SELECT count(*)::int FROM session")[0].decode(Int.self, at: 0)
    }

    /// The id of the channel `code`.
    func channelID(_ code: String) async throws -> Int {
        try await connection.query("SELECT id FROM channel WHERE code = \(code)")[0].decode(Int.self, at: 0)
    }
}

enum HTTPFixture {
    /// Runs `body` on a fresh schema prepared as the storefront prepares its database.
    static func withDatabase<T>(_ body: (StorefrontDatabaseFixture) async throws -> T) async throws -> T {
        try await TestDatabase.withSchema { connection, schema in
            var configuration = try TestDatabase.configuration()
            configuration["options"] = (configuration["options"].map { $0 + " " } ?? "") + "-c search_path=\(schema)"
            try await StorefrontDatabase.prepare(configuration)
            return try await body(
                StorefrontDatabaseFixture(connection: connection, schema: schema, configuration: configuration))
        }
    }
}

#endif
