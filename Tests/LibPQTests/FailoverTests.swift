import Foundation
import LibPQ
import Synchronization
import TestSupport
import Testing

/// A primary with a streaming standby (scripts/test-replication): the primary crashes, the standby is
/// promoted, and the same pool, given both hosts, carries on by itself. Each test makes its cluster anew
/// (`scripts/pg-cluster stop --wipe`, `start`), since a promotion cannot be undone.
@Suite(.enabled(if: ReplicationTestEnvironment.isConfigured, ReplicationTestEnvironment.skipMessage), .serialized)
struct FailoverTests {
    final class Tally: Sendable {
        let acknowledged = Mutex<[Int64]>([])
        let errors = Mutex<[String: Int]>([:])
        let slowest = Mutex<Duration>(.zero)
        let firstSuccessAfter = Mutex<ContinuousClock.Instant?>(nil)
        let recoveryMark = Mutex<ContinuousClock.Instant?>(nil)
        let stop = Atomic<Bool>(false)
    }

    /// Crash (immediate shutdown) of the primary under an insert load, then promotion of the standby.
    /// With synchronous replication (`remote_apply`) no acknowledged insert may be missing; with
    /// asynchronous replication the test reports how many are.
    @Test(arguments: [false, true])
    func thePoolFollowsAPromotedStandbyAndCountsLostWrites(synchronous: Bool) async throws {
        let script = try #require(ReplicationTestEnvironment.clusterScript, "CLUSTER_SCRIPT is not set")
        let multiHost = try #require(ReplicationTestEnvironment.multiHostURL, "MULTIHOST_URL is not set")
        let log = NSTemporaryDirectory() + "failover-\(synchronous ? "sync" : "async").log"
        try await Shell.check([script, "stop", "--wipe"], log: log)
        try await Shell.check([script, "start"] + (synchronous ? ["--sync"] : []), log: log)

        var poolConfig = PostgresPool.Configuration()
        poolConfig.acquireTimeout = .seconds(2)
        poolConfig.reconnectBackoff.maximum = .milliseconds(500)
        let pool = PostgresPool(configuration: poolConfig, connection: try PostgresConfiguration(multiHost))
        let service = Task { try await pool.run() }
        defer { service.cancel() }
        try await pool.query("CREATE TABLE failover_writes (id int8 PRIMARY KEY)")

        let tally = Tally()
        let clock = ContinuousClock()
        let writers = 16
        let timeout = Duration.seconds(2)
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var n: Int64 = 0
                        while !tally.stop.load(ordering: .relaxed) {
                            n += 1
                            let id = Int64(writer) * 1_000_000_000 + n
                            let start = clock.now
                            do {
                                try await pool.query("INSERT INTO failover_writes (id) VALUES (\(id))", timeout: timeout)
                                tally.acknowledged.withLock { $0.append(id) }
                                if let mark = tally.recoveryMark.withLock({ $0 }) {
                                    tally.firstSuccessAfter.withLock { if $0 == nil, clock.now > mark { $0 = clock.now } }
                                }
                            } catch let error as PostgresError {
                                tally.errors.withLock { $0["\(error.code)", default: 0] += 1 }
                                try? await Task.sleep(for: .milliseconds(20))  // a failed writer paces itself
                            } catch {
                                tally.errors.withLock { $0["untyped", default: 0] += 1 }
                            }
                            let took = clock.now - start
                            tally.slowest.withLock { $0 = max($0, took) }
                        }
                    }
                }
            }
        }
        // Load runs until enough inserts are acknowledged, then the primary crashes.
        #expect(await TestDatabase.eventually { tally.acknowledged.withLock { $0.count } >= 500 })
        let crash = clock.now
        try await Shell.check([script, "stop-primary", "--immediate"], log: log)
        try await Shell.check([script, "promote"], log: log)
        let promoted = clock.now
        tally.recoveryMark.withLock { $0 = promoted }
        #expect(await TestDatabase.eventually(timeout: .seconds(20)) { tally.firstSuccessAfter.withLock { $0 } != nil })
        let afterRecovery = tally.acknowledged.withLock { $0.count }
        #expect(await TestDatabase.eventually { tally.acknowledged.withLock { $0.count } >= afterRecovery + 200 })
        tally.stop.store(true, ordering: .relaxed)
        await load.value

        let acknowledged = Set(tally.acknowledged.withLock { $0 })
        var present = Set<Int64>()
        for row in try await pool.query("SELECT id FROM failover_writes", timeout: .seconds(10)) {
            present.insert(try row.decode(Int64.self, at: 0))
        }
        let lost = acknowledged.subtracting(present).count
        let recovered = tally.firstSuccessAfter.withLock { $0 }.map { $0 - promoted } ?? .seconds(-1)
        let errors = tally.errors.withLock { $0 }
        print(
            "FAILOVER replication=\(synchronous ? "sync-remote_apply" : "async") acknowledged=\(acknowledged.count) present=\(present.count) acknowledged_lost=\(lost) present_not_acknowledged=\(present.subtracting(acknowledged).count) crash_to_promoted_ms=\(Self.ms(promoted - crash)) first_insert_after_promote_ms=\(Self.ms(recovered)) errors=\(errors.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")) slowest_call_ms=\(Self.ms(tally.slowest.withLock { $0 }))"
        )
        #expect(errors["untyped"] == nil, "every failure is a PostgresError")
        #expect(tally.slowest.withLock { $0 } <= timeout + .milliseconds(500), "no call outlived its timeout")
        #expect(recovered > .zero && recovered < .seconds(10), "the pool found the new primary by itself")
        if synchronous { #expect(lost == 0, "synchronous replication (remote_apply) loses no acknowledged insert") }
        await pool.shutdown()
    }

    /// A primary fenced to read-only (`default_transaction_read_only`) while the standby is promoted: a write
    /// on the pool's old connections is refused with 25006, and the pool answers it by reconnecting to the
    /// host that takes writes, not by failing.
    @Test func aWriteRefusedAsReadOnlyReconnectsToThePrimary() async throws {
        let script = try #require(ReplicationTestEnvironment.clusterScript, "CLUSTER_SCRIPT is not set")
        let multiHost = try #require(ReplicationTestEnvironment.multiHostURL, "MULTIHOST_URL is not set")
        let primaryURL = try #require(ReplicationTestEnvironment.primaryURL, "PRIMARY_URL is not set")
        let log = NSTemporaryDirectory() + "failover-fenced.log"
        try await Shell.check([script, "stop", "--wipe"], log: log)
        try await Shell.check([script, "start"], log: log)
        let pool = PostgresPool(connection: try PostgresConfiguration(multiHost))
        try await pool.query("CREATE TABLE fenced_writes (id int8 PRIMARY KEY)")
        try await pool.query("INSERT INTO fenced_writes VALUES (1)")
        let before = try await pool.query("SELECT inet_server_port()")[0].decode(Int32.self, at: 0)

        let admin = try await PostgresConnection.connect(configuration: try PostgresConfiguration(primaryURL))
        try await admin.query("ALTER SYSTEM SET default_transaction_read_only = on")
        try await admin.query("SELECT pg_reload_conf()")
        await admin.close()
        try await Shell.check([script, "promote", "--force"], log: log)

        // The pool's connection still goes to the fenced old primary: the insert gets 25006 there, and runs
        // again on a new connection, which libpq (target_session_attrs=read-write) opens to the new one.
        try await pool.query("INSERT INTO fenced_writes VALUES (2)", timeout: .seconds(10))
        let after = try await pool.query("SELECT inet_server_port()")[0].decode(Int32.self, at: 0)
        #expect(after != before, "the write went to the promoted standby")
        let ids = try await pool.query("SELECT id FROM fenced_writes ORDER BY id").map { try $0.decode(Int64.self, at: 0) }
        #expect(ids == [1, 2])
        await pool.shutdown()
        try await Shell.check([script, "stop", "--wipe"], log: log)
    }

    static func ms(_ d: Duration) -> String {
        String(format: "%.1f", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }
}
