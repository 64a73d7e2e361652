import Foundation
import LibPQ
import Sessions
import TestSupport
import Testing

/// Read routing against a real streaming standby (`scripts/test-replication` starts a primary and a
/// standby with `scripts/pg-cluster`, sets DATABASE_URL to the primary and STANDBY_URL to the standby).
/// Replay is paused on the standby, so it lags for as long as the test wants.
@Suite(.enabled(if: ReplicationTestEnvironment.isConfigured, ReplicationTestEnvironment.skipMessage), .serialized)
struct ReadRoutingTests {
    @Test func lookupsUseTheStandbyYetNeverMissAChangeOrReturnAnInvalidatedSessionWhileReplayIsPaused() async throws {
        let standbyURL = try #require(ReplicationTestEnvironment.standbyURL)
        try await Fixture.withStore { f in
            var standbyConfig = try PostgresConfiguration(standbyURL)
            standbyConfig["options"] = "-c search_path=\(f.schema)"
            let standby = try await PostgresConnection.connect(configuration: standbyConfig)
            let primaryB = try await TestDatabase.connect(schema: f.schema)
            let superStandby = try await PostgresConnection.connect(configuration: try PostgresConfiguration(standbyURL))
            var configuration = f.store.configuration
            configuration.invalidationChannel = Fixture.channel(f.schema)
            let a = SessionStore(database: f.connection, replica: standby, cache: NoSessionCache(), clock: f.clock, configuration: configuration)
            let b = SessionStore(database: primaryB, replica: standby, cache: NoSessionCache(), clock: f.clock, configuration: configuration)
            let listener = SessionInvalidationListener(store: b, reconnectDelay: .milliseconds(100)) {
                try await TestDatabase.connect(schema: f.schema)
            }
            let listening = Task { try await listener.run() }
            defer { listening.cancel() }
            #expect(await TestDatabase.eventually { listener.isListening })
            let order1 = try await f.makeOrder("O-1")
            let order2 = try await f.makeOrder("O-2")

            // Caught up: a session created and replayed is read from the standby.
            let s = try await a.createAnonymousSession()
            _ = try await a.setActiveOrder(order1, forToken: s.token)
            try await Self.waitForReplay(primary: f.connection, standby: superStandby)
            let before = b.statistics.replicaLookups
            #expect(try await b.session(forToken: s.token)?.activeOrder?.code == "O-1")
            #expect(try await b.session(forToken: s.token)?.activeOrder?.code == "O-1")
            #expect(b.statistics.replicaLookups > before, "the standby answered once it had replayed the change")

            try await superStandby.query("SELECT pg_wal_replay_pause()")
            do {
                // Created on the primary, not on the standby yet: found (the standby's miss falls back).
                let fresh = try await a.createAnonymousSession()
                #expect(try await a.session(forToken: fresh.token)?.id == fresh.id)
                #expect(try await b.session(forToken: fresh.token)?.id == fresh.id)

                // Changed through this store: the next lookup shows the change.
                _ = try await a.setActiveOrder(order2, forToken: s.token)
                #expect(try await a.session(forToken: s.token)?.activeOrder?.code == "O-2")
                // The standby still has the old row.
                let stale = try await standby.query(PostgresQuery(unsafeSQL: SessionSQL.lookup, binds: Self.binds(s.token, f.clock.now)))
                #expect(stale.count == 1)
                // Another store, once it got the notification, shows it too.
                #expect(await TestDatabase.eventually { b.statistics.remoteEvictions >= 1 })
                #expect(try await b.session(forToken: s.token)?.activeOrder?.code == "O-2")

                // Invalidated on the primary: no store that got the notice returns it as valid, however
                // far the standby lags; it still holds the session as valid.
                let evictionsBefore = b.statistics.remoteEvictions
                try await a.invalidate(token: s.token)
                #expect(try await a.session(forToken: s.token) == nil)
                #expect(await TestDatabase.eventually { b.statistics.remoteEvictions > evictionsBefore })
                for _ in 0..<3 { #expect(try await b.session(forToken: s.token) == nil) }
                let stillValidThere = try await standby.query(PostgresQuery(unsafeSQL: SessionSQL.lookup, binds: Self.binds(s.token, f.clock.now)))
                #expect(stillValidThere.count == 1, "the paused standby still has the session as valid")
            } catch {
                _ = try? await superStandby.query("SELECT pg_wal_replay_resume()")
                throw error
            }
            try await superStandby.query("SELECT pg_wal_replay_resume()")
            // Once the standby has replayed past the change, lookups go back to it.
            try await Self.waitForReplay(primary: f.connection, standby: superStandby)
            let other = try await a.createAnonymousSession()
            try await Self.waitForReplay(primary: f.connection, standby: superStandby)
            let replicaBefore = b.statistics.replicaLookups
            #expect(try await b.session(forToken: other.token)?.id == other.id)
            #expect(try await b.session(forToken: s.token) == nil)
            #expect(b.statistics.replicaLookups > replicaBefore)

            listening.cancel()
            await standby.close()
            await primaryB.close()
            await superStandby.close()
        }
    }

    static func binds(_ token: String, _ now: Date) -> PostgresBindings {
        var b = PostgresBindings()
        b.append(token)
        b.append(PostgresTimestamp(now))
        return b
    }

    /// Waits until the standby has replayed what the primary has written (not while replay is paused).
    static func waitForReplay(primary: PostgresConnection, standby: PostgresConnection) async throws {
        let target = try await primary.query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8")[0].decode(Int64.self, at: 0)
        let caughtUp = await TestDatabase.eventually(every: .milliseconds(5)) {
            (try? await standby.query("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8")[0].decode(Int64.self, at: 0))
                .map { $0 >= target } ?? false
        }
        try #require(caughtUp, "the standby did not catch up")
    }
}
