import Foundation
@_spi(PoolInternals) @testable import LibPQ
import Logging
import Synchronization
@_spi(PoolInternals) import TestSupport
import Testing

/// Failed connection attempts: the server's SQLSTATE read from libpq's message, permanent failures told
/// from transient ones, and the pool failing its callers at once on a permanent one.
@Suite struct ConnectFailureTests {
    @Test func theSQLStateIsTakenOutOfAVerboseMessageAndTheLocationDropped() {
        let raw = """
            connection to server at "127.0.0.1", port 54329 failed: FATAL:  28P01: password authentication failed for user "app"
            LOCATION:  auth_failed, auth.c:323

            """
        let f = ConnectFailure(libpqMessage: raw)
        #expect(f.sqlState == "28P01")
        #expect(f.message == #"connection to server at "127.0.0.1", port 54329 failed: FATAL:  password authentication failed for user "app""#)
        // A message without a server error (refused) has no SQLSTATE and is kept as it is.
        let refused = ConnectFailure(libpqMessage: "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n")
        #expect(refused.sqlState == nil)
        #expect(refused.message.hasSuffix("Connection refused"))
        // Two hosts: one starting up (transient), one refusing the password: the failure is transient.
        let mixed = ConnectFailure(libpqMessage: "FATAL:  57P03: the database system is starting up\nFATAL:  28P01: password authentication failed\n")
        #expect(mixed.sqlStates == ["57P03", "28P01"])
        #expect(mixed.sqlState == "57P03")
    }

    @Test func permanentFailuresAreTheServersRefusalsForGoodAndLibpqsConfigurationErrors() {
        func failure(_ state: String?, _ message: String = "x") -> PostgresError {
            PostgresError(
                code: .connection, message: message,
                serverInfo: state.map { PostgresError.ServerInfo(sqlState: $0, severity: "FATAL", message: message) })
        }
        for state in ["28P01", "28000", "3D000", "42501"] { #expect(failure(state).isPermanentConnectFailure, "\(state)") }
        for state in ["57P03", "53300", "57P01", "08006"] { #expect(!failure(state).isPermanentConnectFailure, "\(state)") }
        #expect(!failure(nil, "Connection refused").isPermanentConnectFailure)
        #expect(failure(nil, "fe_sendauth: no password supplied").isPermanentConnectFailure)
        #expect(failure(nil, "SSL error: certificate verify failed").isPermanentConnectFailure)
        #expect(!PostgresError(code: .timeout, message: "certificate").isPermanentConnectFailure)
    }

    @Test func aPermanentFailureFailsWaitersAtOnceAndNewRequestsUntilTheBackoffAllowsAnotherAttempt() {
        let h = PoolMachineHarness {
            $0.acquireTimeout = .seconds(10)
            $0.reconnectBackoff.initial = .seconds(1)
            $0.reconnectBackoff.jitter = 0
        }
        let (r1, _) = h.request(.shared)
        let (r2, _) = h.request(.exclusive)
        let wrong = PostgresError(
            code: .connection, message: "password authentication failed",
            serverInfo: .init(sqlState: "28P01", severity: "FATAL", message: "password authentication failed"))
        let failed = h.connecting.flatMap { h.fail($0, error: wrong) }
        #expect(Set(failed.failures.map(\.request)) == Set([r1, r2]))
        #expect(failed.failures.allSatisfy { $0.code == .connection })
        #expect(h.machine.waiterCount == 0)
        // During the backoff a new request fails at once, with no attempt.
        let (r3, during) = h.request(.shared)
        #expect(during.failures.map(\.request) == [r3])
        #expect(during.creates.isEmpty)
        // After it, a request waits for a new attempt (the password may have been fixed meanwhile).
        h.advance(by: .seconds(60))
        let (_, after) = h.request(.shared)
        #expect(after.failures.isEmpty)
        #expect(after.creates.count == 1)
        // A transient failure leaves waiters waiting.
        let transient = after.creates.flatMap { h.fail($0) }
        #expect(transient.failures.isEmpty)
        #expect(h.machine.waiterCount == 1)
    }
}

/// The same against a real server.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ConnectFailureServerTests {
    /// A pool whose connections cannot be made for good answers its callers with the server's error
    /// well before the acquire timeout.
    @Test(arguments: ["missing database", "wrong password"])
    func aPoolFailsFastOnAPermanentConnectError(_ fault: String) async throws {
        var config = try TestDatabase.configuration()
        let expected: String
        if fault == "missing database" {
            config["dbname"] = "no_such_database_\(UInt32.random(in: 0...UInt32.max))"
            expected = "3D000"
        } else {
            // The throwaway server authenticates TCP connections with SCRAM; over a Unix socket it may
            // trust everyone, so this case needs a TCP host.
            guard let host = config["host"], !host.hasPrefix("/") else { return }
            config["password"] = "certainly-not-the-password"
            expected = "28P01"
        }
        var poolConfig = PostgresPool.Configuration()
        poolConfig.acquireTimeout = .seconds(10)
        let pool = PostgresPool(configuration: poolConfig, connection: config)
        let clock = ContinuousClock()
        let start = clock.now
        let errors = await withTaskGroup(of: PostgresError?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do { _ = try await pool.query("SELECT 1"); return nil } catch let e as PostgresError { return e } catch { return nil }
                }
            }
            return await group.reduce(into: [PostgresError?]()) { $0.append($1) }
        }
        let elapsed = clock.now - start
        #expect(errors.count == 8)
        for error in errors {
            let e = try #require(error)
            #expect(e.code == .connection)
            #expect(e.sqlState == expected)
            #expect(e.isPermanentConnectFailure)
            #expect(!"\(e)".contains("certainly-not-the-password"))
            // The description says what went wrong, with the SQLSTATE.
            #expect("\(e)".contains(expected))
            #expect("\(e)".contains(fault == "missing database" ? "does not exist" : "password authentication failed"))
        }
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        await pool.shutdown()
    }

    @Test func noticesAndWarningsGoToTheConnectionsLogger() async throws {
        let lines = CollectedLines()
        let logger = Logger(label: "notices") { _ in LineCollector(lines: lines) }
        let c = try await PostgresConnection.connect(configuration: try TestDatabase.configuration(), logger: logger)
        try await c.query("DO $$ BEGIN RAISE WARNING 'careful: %', 42; RAISE NOTICE 'just so you know'; END $$")
        await c.close()
        let all = lines.all
        #expect(all.contains { $0.hasPrefix("warning") && $0.contains("careful: 42") && $0.contains("01000") })
        #expect(all.contains { $0.hasPrefix("debug") && $0.contains("just so you know") })
    }
}

/// Log lines as "level message metadata", shared by the handlers a logger makes.
final class CollectedLines: Sendable {
    let value = Synchronization.Mutex<[String]>([])
    var all: [String] { value.withLock { $0 } }
}

private struct LineCollector: LogHandler {
    let lines: CollectedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        lines.value.withLock { $0.append("\(level) \(message) \(all)") }
    }
}
