import ArgumentParser
import Entities
import Sessions
import Foundation
import LibPQ

/// `sessionctl migrate [--dry-run] [--database-url URL] [--schema NAME] [--allow-destructive]`: brings the
/// database's schema up to the entity declarations (see ``Migrator``), printing the plan first.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the missing tables, columns, indexes and constraints of the session schema.",
        discussion: """
            Reads the catalog, prints the statements it would run and the differences it leaves alone \
            (warnings), then applies the statements in one transaction under an advisory lock, unless \
            --dry-run. Connects to --database-url, else DATABASE_URL, else libpq's PGHOST/PGPORT/... .
            """)

    @Flag(help: "Print the plan without applying it.")
    var dryRun = false

    @Option(help: "A postgres:// URI or libpq connection string (default: DATABASE_URL, then libpq's environment).")
    var databaseURL: String?

    @Option(help: "The schema to migrate (default: current_schema()).")
    var schema: String?

    @Flag(help: "Also drop what an earlier migration created and the entities no longer declare.")
    var allowDestructive = false

    func run() async throws {
        let configuration =
            try databaseURL.map { try PostgresConfiguration($0) } ?? PostgresConfiguration.fromEnvironment()
        let connection = try await PostgresConnection.connect(configuration: configuration)
        do {
            try await migrate(on: connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private func migrate(on connection: PostgresConnection) async throws {
        let migrator = try VendureSchema.migrator(
            schema: schema, options: MigrationOptions(allowDestructive: allowDestructive))
        if dryRun {
            let plan = try await migrator.plan(on: connection)
            print(plan)
            if !plan.isEmpty { print("-- dry run: nothing applied") }
        } else {
            let result = try await migrator.migrate(on: connection)
            print(result.plan)
            if !result.applied.isEmpty { print("-- applied \(result.applied.count) statement(s), run \(result.runID)") }
        }
    }
}
