import EmbeddedPostgres
import Foundation
import LibPQ
import Sessions

/// Runs `body` on a schema of its own, dropped afterwards: in the database of `DATABASE_URL`, or, when it
/// is not set, in an embedded throwaway PostgreSQL started for the occasion and removed at the end.
/// `body` gets a configuration whose `search_path` is that schema.
func withScratchSchema(
    prefix: String, _ body: (_ configuration: PostgresConfiguration, _ schema: String) async throws -> Void
) async throws {
    if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
        let config = try PostgresConfiguration(url)
        say("database", "DATABASE_URL (\(config))")
        try await inSchema(of: config, prefix: prefix, body)
    } else {
        say("database", "starting an embedded throwaway PostgreSQL...")
        let server = try EmbeddedPostgres.prepare()
        let signalSources = server.stopOnSignals()
        defer {
            signalSources.forEach { $0.cancel() }
            server.stop()
        }
        try server.boot()
        say("database", "embedded PostgreSQL at \(server.directory.path) (removed at the end)")
        try await inSchema(of: try server.configuration, prefix: prefix, body)
    }
}

private func inSchema(
    of config: PostgresConfiguration, prefix: String,
    _ body: (PostgresConfiguration, String) async throws -> Void
) async throws {
    let schema = prefix + String(SessionToken.generate().prefix(8))
    var scoped = config
    scoped["options"] = (config["options"].map { $0 + " " } ?? "") + "-c search_path=\(schema)"
    let admin = try await PostgresConnection.connect(configuration: config)
    try await admin.execute(script: "SET client_min_messages TO warning")  // no NOTICEs from DROP ... CASCADE
    try await admin.query("CREATE SCHEMA \(identifier: schema)")
    do {
        try await body(scoped, schema)
    } catch {
        _ = try? await admin.query("DROP SCHEMA \(identifier: schema) CASCADE")
        await admin.close()
        throw error
    }
    try await admin.query("DROP SCHEMA \(identifier: schema) CASCADE")
    await admin.close()
    say("done", "schema \(schema) dropped")
}
