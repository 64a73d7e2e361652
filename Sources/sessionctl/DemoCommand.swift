import ArgumentParser
import Foundation
import LibPQ

/// `sessionctl demo`: runs against DATABASE_URL, or an embedded throwaway PostgreSQL when none is set.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk through the package against DATABASE_URL, or an embedded throwaway PostgreSQL.")

    @Option(name: .customLong("database-url"), help: "Database URL or key=value string (default: DATABASE_URL).")
    var databaseURL: String?

    func run() async throws {
        var embedded: EmbeddedPostgres?
        defer { embedded?.stop() }
        let configuration: PostgresConfiguration
        if let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            configuration = try PostgresConfiguration(url)
            print("using the configured database")
        } else {
            print("no DATABASE_URL: starting an embedded throwaway PostgreSQL...")
            let pg = try EmbeddedPostgres.start()
            embedded = pg
            configuration = try PostgresConfiguration(pg.connectionString)
            print("embedded PostgreSQL on port \(pg.port), data in \(pg.directory.path)")
        }
        let connection = try await PostgresConnection.connect(configuration: configuration)
        let version = try await connection.query("SELECT version()")[0].decode(String.self, at: 0)
        print("connected: \(version)")
        let now = try await connection.query("SELECT now(), \(Int64(40)) + 2 AS answer")[0].decode((Date, Int64).self)
        print("server time \(now.0), 40 + 2 = \(now.1) (computed by the server from a bound parameter)")
        await connection.close()
    }
}
