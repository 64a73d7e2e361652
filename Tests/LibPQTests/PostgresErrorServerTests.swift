import Foundation
import LibPQ
import TestSupport
import Testing

/// Errors from a real server whose message or detail quotes a bound value: the value is in
/// `debugDescription`, never in `description`.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresErrorServerTests {
    /// The places a value must not reach, and the one it must.
    private func expectRedacted(_ error: PostgresError, _ secret: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!error.description.contains(secret), sourceLocation: sourceLocation)
        #expect(!"\(error)".contains(secret), sourceLocation: sourceLocation)
        #expect(!error.localizedDescription.contains(secret), sourceLocation: sourceLocation)
        #expect(String(reflecting: error).contains(secret), sourceLocation: sourceLocation)
    }

    @Test func invalidInputSyntaxQuotesTheValueOnlyInTheDebugDescription() async throws {
        let c = try await TestDatabase.connect()
        let secret = "secret-\(UUID().uuidString)"
        let error = try await #require(throws: PostgresError.self) { try await c.query("SELECT \(secret)::text::int4") }
        #expect(error.sqlState == "22P02")
        #expect(error.serverInfo?.message.contains(secret) == true)  // the server did quote it
        #expect(error.description.hasPrefix("PostgresError(server): ERROR 22P02 invalid_text_representation"))
        expectRedacted(error, secret)
        await c.close()
    }

    @Test func uniqueViolationDetailStaysOutOfTheDescription() async throws {
        try await TestDatabase.withSchema { c, schema in
            try await c.execute(script: "CREATE TABLE s (token text CONSTRAINT s_token_key UNIQUE)")
            let secret = String(repeating: "ab", count: 32)
            try await c.query("INSERT INTO s VALUES (\(secret))")
            let error = try await #require(throws: PostgresError.self) { try await c.query("INSERT INTO s VALUES (\(secret))") }
            #expect(error.serverInfo?.detail?.contains(secret) == true)
            #expect(error.description == "PostgresError(server): ERROR 23505 unique_violation (constraint s_token_key, table \(schema).s)")
            expectRedacted(error, secret)
        }
    }

    @Test func aRaisedExceptionQuotingAValueStaysOutOfTheDescription() async throws {
        let c = try await TestDatabase.connect()
        let secret = "secret-\(UUID().uuidString)"
        try await c.query("SELECT set_config('x.v', \(secret), false)")
        let error = try await #require(throws: PostgresError.self) {
            try await c.execute(script: "DO $$ BEGIN RAISE EXCEPTION 'bad token %', current_setting('x.v') USING DETAIL = current_setting('x.v'); END $$")
        }
        #expect(error.sqlState == "P0001")
        #expect(error.description.hasPrefix("PostgresError(server): ERROR P0001 raise_exception"))
        expectRedacted(error, secret)
        await c.close()
    }

    @Test func aJSONDecodingErrorQuotingTheValueStaysOutOfTheDescription() async throws {
        enum Kind: String, Codable, Sendable { case a }
        struct Prefs: Codable, Sendable { var kind: Kind }
        let c = try await TestDatabase.connect()
        let secret = "secret\(UInt32.random(in: 1...UInt32.max))"
        let rows = try await c.query("SELECT jsonb_build_object('kind', \(secret)) AS prefs")
        let error = try #require(throws: PostgresError.self) { try rows[0].decode(PostgresJSON<Prefs>.self, column: "prefs") }
        #expect(error.code == .decoding && error.column == "prefs")
        #expect(error.description.hasPrefix("PostgresError(decoding): malformed value [column prefs"))
        expectRedacted(error, secret)
        await c.close()
    }
}
