#if Hummingbird
import Sessions
public import LibPQ

/// The example's tables and seed data: the Vendure tables when the database has none, two channels, two
/// users.
public enum StorefrontDatabase {
    /// Token of the seeded default channel.
    public static let defaultChannelToken = "default-channel-token"
    /// Token of the seeded second channel (`uk-store`), to try the `vendure-token` header with.
    public static let ukChannelToken = "uk-channel-token"

    /// Creates the session tables (session, user, order, channel) on `connection`'s `search_path`.
    ///
    /// The one call into the schema generator; when it moves to the Sessions module, only this line
    /// changes.
    public static func createSessionTables(on connection: PostgresConnection) async throws {
        try await connection.execute(script: try VendureSchema.sql())
    }

    /// Creates the tables unless a `session` table is already there, then inserts what is missing of the
    /// seed data: channels `__default_channel__` and `uk-store`, users alice@example.com (verified) and
    /// bob@example.com (not verified).
    public static func prepare(_ configuration: PostgresConfiguration) async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration)
        do {
            let exists = try await connection.query("SELECT to_regclass('session') IS NOT NULL")[0].decode(Bool.self, at: 0)
            if !exists { try await createSessionTables(on: connection) }
            try await connection.query("""
                INSERT INTO channel (code, token) VALUES ('__default_channel__', \(defaultChannelToken)),
                    ('uk-store', \(ukChannelToken)) ON CONFLICT DO NOTHING
                """)
            for (identifier, verified) in [("alice@example.com", true), ("bob@example.com", false)] {
                try await connection.query("""
                    INSERT INTO "user" (identifier, verified) SELECT \(identifier), \(verified)
                    WHERE NOT EXISTS (SELECT 1 FROM "user" WHERE identifier = \(identifier))
                    """)
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}
#endif
