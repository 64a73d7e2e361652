import ArgumentParser
import LibPQ
import Sessions

/// `sessionctl stats`: sessions by kind and state in `DATABASE_URL`'s database.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Count sessions by kind and state in DATABASE_URL's database.")

    func run() async throws {
        let connection = try await PostgresConnection.connect(configuration: try .fromEnvironment())
        let store = SessionStore(database: connection, cache: NoSessionCache())
        let s = try await store.databaseStatistics()
        print("anonymous (live)      \(s.anonymous)")
        print("authenticated (live)  \(s.authenticated)")
        print("expired               \(s.expired)")
        print("invalidated           \(s.invalidated)")
        print("total                 \(s.total)")
        // A cache lives in the process that serves requests; a new process has seen no lookups.
        print("cache hit rate        unknown here (in-process: SessionStore.statistics.cacheHitRate)")
        await connection.close()
    }
}
