import EmbeddedPostgres
import Foundation
import LibPQ
import Sessions

extension BenchCommand {
    /// `bench --through URL`: the lookups (cache miss, so every one is a statement) directly on
    /// DATABASE_URL's server, directly with the statement cache off ("unnamed": what a pooled connection
    /// gives up), and through `url` (PgBouncer in front of it), on the same data, in one run, taking turns
    /// twice so drift (the machine warming up, other load) shows as spread.
    ///
    /// The data live in a scratch database (created on DATABASE_URL, dropped at the end): a transaction
    /// pooler cannot carry the `search_path` startup option the scratch schema of a plain run uses, and
    /// PgBouncer's `*` entry routes any database name to the server. Both pools use the defaults
    /// (``PostgresConfiguration/Pooler/automatic``), so the direct one caches prepared statements and the
    /// one through PgBouncer sends them unnamed.
    func compare(through url: String) async throws {
        guard let base = ProcessInfo.processInfo.environment["DATABASE_URL"], !base.isEmpty else {
            throw EmbeddedPostgres.Failure(description: "--through needs DATABASE_URL: the server behind the pooler")
        }
        let database = "sessionctl_bench_" + String(SessionToken.generate().prefix(8))
        let admin = try await PostgresConnection.connect(configuration: try PostgresConfiguration(base))
        try await admin.execute(script: "CREATE DATABASE \(database)")
        say("database", "scratch database \(database)")
        do {
            var direct = try PostgresConfiguration(base)
            direct["dbname"] = database
            var bounced = try PostgresConfiguration(url)
            bounced["dbname"] = database
            try await compare(direct: direct, bounced: bounced)
        } catch {
            _ = try? await admin.execute(script: "DROP DATABASE \(database) WITH (FORCE)")
            await admin.close()
            throw error
        }
        try await admin.execute(script: "DROP DATABASE \(database) WITH (FORCE)")
        await admin.close()
        say("done", "database \(database) dropped")
    }

    private func compare(direct: PostgresConfiguration, bounced: PostgresConfiguration) async throws {
        var poolConfiguration = PostgresPool.Configuration()
        poolConfiguration.maximumConnections = connections
        poolConfiguration.packingDepth = packingDepth
        if eventLoops.count > 1 { poolConfiguration.eventLoops = eventLoops }
        let directPool = PostgresPool(configuration: poolConfiguration, connection: direct)
        // Directly, with what a pooled connection gives up: no statement cache (each lookup parsed and
        // planned), to tell the cost of unnamed statements from the cost of the hop through PgBouncer.
        var unnamed = direct
        unnamed.statementCacheCapacity = 0
        let unnamedPool = PostgresPool(configuration: poolConfiguration, connection: unnamed)
        let bouncedPool = PostgresPool(configuration: poolConfiguration, connection: bounced)
        let pools = [directPool, unnamedPool, bouncedPool]
        let runners = pools.map { pool in Task { try await pool.run() } }
        defer { runners.forEach { $0.cancel() } }
        let tokens = try await load(on: directPool)
        var storeConfiguration = SessionStore.Configuration()
        storeConfiguration.invalidationChannel = ""
        let stores = [
            ("direct", SessionStore(database: directPool, cache: NoSessionCache(), configuration: storeConfiguration)),
            ("unnamed", SessionStore(database: unnamedPool, cache: NoSessionCache(), configuration: storeConfiguration)),
            ("pgbouncer", SessionStore(database: bouncedPool, cache: NoSessionCache(), configuration: storeConfiguration)),
        ]
        // Warm both (connections opened, the direct pool's statements prepared).
        for (_, store) in stores { for token in tokens.prefix(200) { _ = try await store.session(forToken: token) } }
        say(
            "bench",
            "lookup-miss, \(tokens.count) sessions, \(concurrency) \(tasksDescription), \(connections) connections per pool, \(seconds) s per round")
        var figures: [String: [Figures]] = [:]
        for round in 1...2 {
            for (name, store) in stores {
                let r = try await drive { rng in
                    guard try await store.session(forToken: tokens[Int.random(in: tokens.indices, using: &rng)]) != nil else {
                        throw EmbeddedPostgres.Failure(description: "a lookup through \(name) found no session")
                    }
                }
                figures[name, default: []].append(r)
                say("bench", String(format: "round %d %-10@ %9.0f ops/s  p50 %7.1f µs  p99 %7.1f µs  %6.2f µs CPU/op", round, name, r.opsPerSecond, r.p50, r.p99, r.cpu))
            }
        }
        let mean = { (name: String) in (figures[name] ?? []).map(\.opsPerSecond).reduce(0, +) / Double(max(1, figures[name]?.count ?? 1)) }
        let ratio = mean("pgbouncer") / max(mean("direct"), 1)
        say("bench", String(format: "pgbouncer / direct: %.2f (%.0f vs %.0f lookups/s, mean of 2 rounds)", ratio, mean("pgbouncer"), mean("direct")))
        say("bench", String(format: "unnamed / direct: %.2f (direct, statement cache off: %.0f lookups/s)", mean("unnamed") / max(mean("direct"), 1), mean("unnamed")))
        for pool in pools { await pool.shutdown() }
    }
}
