import Foundation
@_spi(PoolInternals) @testable import LibPQ
import TestSupport
import Testing

/// The client through PgBouncer 1.18 in transaction mode (`scripts/test-cluster`): it connects with its
/// defaults, keeps `TimeZone` UTC on every server connection, never prepares a statement under a name,
/// refuses `LISTEN` clearly, keeps read-only groups on one server connection, cancels through PgBouncer
/// without harming a neighbour, and fails fast on a refusal for good.
@Suite(.enabled(if: PgBouncerDatabase.isConfigured, PgBouncerDatabase.skipMessage), .timeLimit(.minutes(2)))
struct PgBouncerTests {
    @Test func theDefaultsConnectThroughPgBouncerAndFindItWhileDirectConnectionsStayDirect() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let bounced = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer(db))
            #expect(bounced.isPooled)
            let (zone, serverPID) = try await bounced.query("SELECT current_setting('TimeZone'), pg_backend_pid()")[0]
                .decode((String, Int32).self)
            #expect(zone == "UTC")
            #expect(serverPID != bounced.backendPID)
            // Parameterised statements run, and none was prepared under a name.
            for i in 0..<20 {
                #expect(try await bounced.query("SELECT \(i) + 1")[0].decode(Int.self, at: 0) == i + 1)
            }
            let stats = await bounced.statementCacheStatistics
            #expect(stats.hits == 0 && stats.misses == 0)
            await bounced.close()

            let direct = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.direct(db))
            #expect(!direct.isPooled)
            #expect(try await direct.query("SELECT current_setting('TimeZone')")[0].decode(String.self, at: 0) == "UTC")
            for i in 0..<3 { _ = try await direct.query("SELECT \(i) + 1") }
            let directStats = await direct.statementCacheStatistics
            #expect(directStats.misses == 2 && directStats.hits == 2)  // SHOW-like query + the SELECT, twice reused
            await direct.close()
        }
    }

    @Test func timestampsStayUTCOnEveryServerConnectionWhenTheDatabaseDefaultIsAnotherZone() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let admin = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.direct(db))
            try await admin.execute(script: """
                ALTER DATABASE \(db) SET timezone = 'Asia/Tokyo';
                CREATE TABLE stamp (id int PRIMARY KEY, at timestamp NOT NULL);
                """)
            await admin.close()
            let base = Date(timeIntervalSince1970: 1_750_000_000)
            try await PgBouncerDatabase.withPool(try PgBouncerDatabase.bouncer(db), { $0.maximumConnections = 6 }) { pool in
                let seen = try await withThrowingTaskGroup(of: (String, Int32, Bool).self) { group in
                    for i in 0..<120 {
                        group.addTask {
                            let at = base.addingTimeInterval(Double(i) * 61.5)
                            // A Date binds as timestamptz: the server converts it to the column's timestamp
                            // with the session TimeZone, and the row must hold the UTC wall time.
                            try await pool.query("INSERT INTO stamp VALUES (\(i), \(at))", timeout: .seconds(20))
                            let row = try await pool.query(
                                "SELECT at, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), current_setting('TimeZone'), pg_backend_pid() FROM stamp WHERE id = \(i)",
                                timeout: .seconds(20))[0]
                            let (read, text, zone, pid) = try row.decode((Date, String, String, Int32).self)
                            let formatter = ISO8601DateFormatter()
                            formatter.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]
                            formatter.timeZone = TimeZone(identifier: "UTC")
                            return (zone, pid, read == at && text == formatter.string(from: at))
                        }
                    }
                    return try await group.reduce(into: [(String, Int32, Bool)]()) { $0.append($1) }
                }
                #expect(seen.count == 120)
                #expect(seen.allSatisfy { $0.0 == "UTC" }, "a statement ran in another time zone")
                #expect(seen.filter { !$0.2 }.isEmpty, "\(seen.filter { !$0.2 }.count) timestamps were shifted")
                #expect(Set(seen.map(\.1)).count >= 2, "all statements ran on one server connection")
            }
        }
    }

    @Test func declaringPgBouncerSkipsNothingButTheDetectionAndDirectDeclaredConnectionsSendTheTimeZoneAtStartup() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            var declared = try PgBouncerDatabase.bouncer(db)
            declared.pooler = .pgbouncerTransaction
            let c = try await PostgresConnection.connect(configuration: declared)
            #expect(c.isPooled)
            #expect(try await c.query("SELECT current_setting('TimeZone')")[0].decode(String.self, at: 0) == "UTC")
            #expect(await c.statementCacheStatistics.misses == 0)
            await c.close()

            var none = try PgBouncerDatabase.direct(db)
            none.pooler = .none
            #expect(none.libpqParameters().contains { $0.0 == "options" && $0.1.contains("TimeZone=UTC") })
            let d = try await PostgresConnection.connect(configuration: none)
            #expect(!d.isPooled)
            #expect(try await d.query("SELECT current_setting('TimeZone')")[0].decode(String.self, at: 0) == "UTC")
            await d.close()
        }
    }

    @Test func listenThroughPgBouncerFailsWithAnErrorNamingTheSettingAndTheConnectionGoesOn() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let c = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer(db))
            let error = await #expect(throws: PostgresError.self) { try await c.query("  LISTEN some_channel") }
            #expect(error?.code == .unsupportedStatement)
            #expect(error?.message.contains("PostgresConfiguration.pooler") == true)
            #expect(error?.statementNotSent == true)
            #expect(try await c.query("SELECT 41 + 1")[0].decode(Int.self, at: 0) == 42)
            await c.close()

            try await PgBouncerDatabase.withPool(try PgBouncerDatabase.bouncer(db)) { pool in
                let poolError = await #expect(throws: PostgresError.self) { _ = try await pool.listen(channel: "events") }
                #expect(poolError?.code == .unsupportedStatement)
                #expect(poolError?.message.contains("PostgresConfiguration.pooler") == true)
                // NOTIFY is transactional and works through PgBouncer.
                try await pool.query("SELECT pg_notify('events', 'x')")
            }
        }
    }

    @Test func aWrongPasswordOrAMissingDatabaseThroughPgBouncerFailsFastAndForGood() async throws {
        var wrong = try PgBouncerDatabase.bouncer("postgres")
        wrong["password"] = "not-the-password"
        let passwordError = await #expect(throws: PostgresError.self) { _ = try await PostgresConnection.connect(configuration: wrong) }
        #expect(passwordError?.serverInfo?.sqlState == "08P01")
        #expect(passwordError?.isPermanentConnectFailure == true)
        #expect(passwordError.map { !"\($0)".contains("not-the-password") } == true)

        let missingError = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer("no_such_database_here"))
        }
        #expect(missingError?.isPermanentConnectFailure == true)

        // The pool gives up at once instead of retrying until its acquire timeout (30 s here).
        let start = ContinuousClock.now
        try await PgBouncerDatabase.withPool(wrong, { $0.acquireTimeout = .seconds(30) }) { pool in
            let poolError = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(poolError?.code == .connection)
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func optionsInTheStringThroughPgBouncerFailForGoodWithAHint() async throws {
        var configuration = try PgBouncerDatabase.bouncer("postgres")
        configuration["options"] = "-c statement_timeout=5s"
        let error = await #expect(throws: PostgresError.self) { _ = try await PostgresConnection.connect(configuration: configuration) }
        #expect(error?.message.contains("unsupported startup parameter: options") == true)
        #expect(error?.message.contains("PostgresConfiguration.pooler") == true)
        #expect(error?.isPermanentConnectFailure == true)

        var declaredDirect = try PgBouncerDatabase.bouncer("postgres")
        declaredDirect.pooler = .none
        let declaredError = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(configuration: declaredDirect)
        }
        #expect(declaredError?.isPermanentConnectFailure == true)
    }

    @Test func aReadOnlyGroupRunsOnOneServerConnectionUnderItsGuard() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let c = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer(db))
            // Another client holds a server connection in a transaction meanwhile, so PgBouncer has more
            // than one server connection in play.
            let other = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer(db))
            try await other.query("BEGIN")
            _ = try await other.query("SELECT 1")
            // Started together on the connection's loop: sent in one turn, so they form read-only groups.
            let rows = try await withTaskExecutorPreference(c.eventLoop.taskExecutor) {
                try await withThrowingTaskGroup(of: (Int, String, Int32, String).self) { group in
                    for i in 0..<48 {
                        group.addTask {
                            let q: PostgresQuery =
                                "SELECT \(i), now()::text, pg_backend_pid(), current_setting('transaction_read_only')"
                            return try await c.query(q.readOnly(), timeout: .seconds(20))[0].decode((Int, String, Int32, String).self)
                        }
                    }
                    return try await group.reduce(into: [(Int, String, Int32, String)]()) { $0.append($1) }
                }
            }
            try await other.query("COMMIT")
            await other.close()
            await c.close()
            #expect(Set(rows.map(\.0)) == Set(0..<48))
            // Members of one group share one implicit transaction (one now()): it must have run on one
            // server connection, every member under the guard's transaction_read_only.
            let groups = Dictionary(grouping: rows, by: \.1).values.filter { $0.count > 1 }
            #expect(!groups.isEmpty, "no read-only group was formed")
            for members in groups {
                #expect(Set(members.map(\.2)).count == 1, "a group ran on more than one server connection")
                #expect(members.allSatisfy { $0.3 == "on" }, "a group member ran without the read-only guard")
            }
        }
    }

    @Test func aTimeoutCancelsThroughPgBouncerAndTheStatementsBehindItAnswerRightly() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let c = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.bouncer(db))
            let start = ContinuousClock.now
            let sleeper = Task { () -> PostgresError? in
                do {
                    _ = try await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(300))
                    return nil
                } catch { return error as? PostgresError }
            }
            // Followers queued behind the sleeper in the same pipeline: a cancel that hit one is re-run.
            let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for i in 0..<20 {
                    group.addTask { (i, try await c.query("SELECT \(i) * 3", timeout: .seconds(60))[0].decode(Int.self, at: 0)) }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
            }
            let error = await sleeper.value
            #expect(error?.code == .timeout)
            #expect(answers.count == 20 && answers.allSatisfy { $0.value == $0.key * 3 })
            // The server really stopped the sleep (the followers did not wait 30 s behind it).
            #expect(ContinuousClock.now - start < .seconds(15))
            #expect(try await c.query("SELECT 'still usable'")[0].decode(String.self, at: 0) == "still usable")
            await c.close()
        }
    }
}
