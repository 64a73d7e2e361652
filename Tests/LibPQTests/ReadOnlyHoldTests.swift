import Foundation
@testable import LibPQ
import TestSupport
import Testing

/// While two sync points are in flight on a connection, read-only queries wait in the client and go out
/// together, as one group, when the first is answered (`ConnectionCore.holdsReadOnlyQueries`). Each test
/// blocks the connection's first statement on an advisory lock that another connection holds, so the two
/// sync points stay in flight for as long as the test needs.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage), .timeLimit(.minutes(1)))
struct ReadOnlyHoldTests {
    /// A connection whose pipeline holds two sync points until `release()`: a read-only statement
    /// waiting for an advisory lock that `blocker` holds, then a read-only `SELECT` behind it.
    struct Blocked {
        let c: PostgresConnection
        let pid: Int32
        let blocker: PostgresConnection
        let key: Int64
        let waiting: Task<String, any Error>
        let second: Task<String, any Error>

        static func make(_ configure: (inout PostgresConfiguration) -> Void = { _ in }) async throws -> Blocked {
            let c = try await TestDatabase.connect(configure)
            await makeHoldingPay(c)
            let pid = try await c.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            let blocker = try await TestDatabase.connect()
            let key = Int64.random(in: 1...Int64(Int32.max))
            _ = try await blocker.query("SELECT pg_advisory_lock(\(key))")
            let waiting = Task {
                let q: PostgresQuery = "SELECT pg_advisory_xact_lock_shared(\(key))::text, transaction_timestamp()::text"
                return try await c.query(q.readOnly())[0].decode((String, String).self).1
            }
            try await waitUntilSent("pg_advisory_xact_lock_shared", on: c)
            let second = Task { try await c.query(Self.stamp("second").readOnly())[0].decode(String.self, at: 0) }
            try await waitUntilSent("'second'", on: c)
            return Blocked(c: c, pid: pid, blocker: blocker, key: key, waiting: waiting, second: second)
        }

        /// A statement answering its transaction's start time, told apart by `label`.
        static func stamp(_ label: String) -> PostgresQuery {
            PostgresQuery(unsafeSQL: "SELECT transaction_timestamp()::text AS x, '\(label)' AS label")
        }

        func release() async throws {
            _ = try await blocker.query("SELECT pg_advisory_unlock(\(key))")
        }

        func close() async {
            await c.close()
            await blocker.close()
        }
    }

    /// The connection holds only while it measures the server's time per group at least a round trip
    /// (`HoldTiming`). What it measures depends on how busy this machine is (a test run starts hundreds of
    /// tests at once), so these tests set it: a round trip of 1 ns, a second per group. No answer comes in
    /// while the tests hold (both sync points stay blocked), so nothing measured changes it meanwhile.
    /// `HoldTimingServerTests` checks the measuring itself.
    static func makeHoldingPay(_ c: PostgresConnection) async {
        await c.core.onLoop { core in
            core.holdTiming.roundTrip = 1
            core.holdTiming.groupTime = 1_000_000_000
        }
    }

    static func waitUntilSent(_ sql: String, on c: PostgresConnection) async throws {
        let sent = await TestDatabase.eventually(every: .milliseconds(1)) {
            await c.core.onLoop { core in core.inflight.contains { $0.sql.contains(sql) } }
        }
        try #require(sent)
    }

    /// Requests submitted and not sent: in the inbox or in `pending`. Read on the loop, after everything
    /// submitted before it reached the loop.
    static func unsent(on c: PostgresConnection) async -> (held: Int, sent: Int, holding: Bool) {
        await c.core.onLoop { core in
            let inInbox = core.inbox.withLock { $0.requests.count }
            return (inInbox + core.pending.count, core.inflight.count, core.inboxHolding)
        }
    }

    @Test func readOnlyQueriesArrivingOneByOneWaitAndGoOutAsOneGroup() async throws {
        let b = try await Blocked.make()
        var held: [Task<String, any Error>] = []
        for i in 0..<3 {
            held.append(Task { try await b.c.query(Blocked.stamp("held\(i)").readOnly())[0].decode(String.self, at: 0) })
            // Each arrives alone, after the loop saw the one before: sent at once, each would be a group of
            // its own.
            #expect(await TestDatabase.eventually(every: .milliseconds(1)) { await Self.unsent(on: b.c).held == i + 1 })
        }
        let state = await Self.unsent(on: b.c)
        #expect(state.sent == 2, "only the two blocked statements are in flight")
        #expect(state.holding)
        try await b.release()
        _ = try await b.waiting.value
        let second = try await b.second.value
        var stamps: [String] = []
        for t in held { stamps.append(try await t.value) }
        #expect(Set(stamps).count == 1, "the held queries ran in one transaction: \(stamps)")
        #expect(stamps[0] != second)
        // Once the pipeline drained, a read-only query goes out at once again.
        #expect(try await b.c.query(Blocked.stamp("after").readOnly()).count == 1)
        #expect(await Self.unsent(on: b.c).holding == false)
        await b.close()
    }

    @Test func queriesThatAreNotReadOnlyAreNotHeldButWaitBehindHeldOnesInOrder() async throws {
        let b = try await Blocked.make()
        let held = Task { try await b.c.query(Blocked.stamp("held").readOnly())[0].decode(String.self, at: 0) }
        #expect(await TestDatabase.eventually(every: .milliseconds(1)) { await Self.unsent(on: b.c).held == 1 })
        // A plain statement behind a held one keeps its place: the connection sends in order.
        let plain = Task { try await b.c.query("SELECT transaction_timestamp()::text")[0].decode(String.self, at: 0) }
        #expect(await TestDatabase.eventually(every: .milliseconds(1)) { await Self.unsent(on: b.c).held == 2 })
        try await b.release()
        _ = try await b.waiting.value
        _ = try await b.second.value
        let (h, p) = (try await held.value, try await plain.value)
        #expect(h != p, "a plain statement runs in a transaction of its own")
        await b.close()
    }

    @Test func aHeldQueryWhoseTaskIsCancelledIsAnsweredAtOnceAsNeverSent() async throws {
        let b = try await Blocked.make()
        let held = Task { try await b.c.query(Blocked.stamp("cancelled").readOnly()) }
        #expect(await TestDatabase.eventually(every: .milliseconds(1)) { await Self.unsent(on: b.c).held == 1 })
        held.cancel()
        // Answered while both statements ahead of it are still blocked on the server.
        let error = try await #require(throws: PostgresError.self) { try await held.value }
        #expect(error.code == .cancelled)
        #expect(error.statementNotSent)
        #expect(await Self.unsent(on: b.c).sent == 2)
        try await b.release()
        _ = try await b.waiting.value
        _ = try await b.second.value
        #expect(try await b.c.query(Blocked.stamp("after").readOnly()).count == 1)
        await b.close()
    }

    @Test func aHeldQueryWhoseTimeoutPassesIsAnsweredAtOnceAsNeverSent() async throws {
        let b = try await Blocked.make()
        let error = try await #require(throws: PostgresError.self) {
            try await b.c.query(Blocked.stamp("timed").readOnly(), timeout: .milliseconds(50))
        }
        #expect(error.code == .timeout)
        #expect(error.statementNotSent)
        #expect(await Self.unsent(on: b.c).sent == 2)
        try await b.release()
        _ = try await b.waiting.value
        _ = try await b.second.value
        await b.close()
    }

    @Test func withReadOnlyGroupingOffNothingIsHeld() async throws {
        let b = try await Blocked.make { $0.groupsReadOnlyQueries = false }
        try await Self.expectAThirdQuerySentAtOnce(b)
        await b.close()
    }

    /// Over a link whose round trip is longer than the server's time per group (another host, a pooler),
    /// a held group would reach the server after it ran out of work: nothing is held.
    @Test func aRoundTripLongerThanTheServersTimePerGroupHoldsNothing() async throws {
        let b = try await Blocked.make()
        await b.c.core.onLoop { core in core.holdTiming.roundTrip = 2_000_000_000 }
        try await Self.expectAThirdQuerySentAtOnce(b)
        await b.close()
    }

    /// A third read-only query behind the two blocked ones goes out at once (the inbox does not hold), and
    /// all three are answered once the block is released.
    static func expectAThirdQuerySentAtOnce(_ b: Blocked) async throws {
        let third = Task { try await b.c.query(Blocked.stamp("third").readOnly()).count }
        try await waitUntilSent("'third'", on: b.c)
        #expect(await unsent(on: b.c).holding == false)
        try await b.release()
        #expect(try await third.value == 1)
        _ = try await b.waiting.value
        _ = try await b.second.value
    }

    @Test func heldQueriesFailAsNeverSentWhenTheServerEndsTheConnection() async throws {
        let b = try await Blocked.make()
        let held = Task { try await b.c.query(Blocked.stamp("held").readOnly()) }
        #expect(await TestDatabase.eventually(every: .milliseconds(1)) { await Self.unsent(on: b.c).held == 1 })
        _ = try await b.blocker.query("SELECT pg_terminate_backend(\(b.pid))")
        let error = try await #require(throws: PostgresError.self) { try await held.value }
        #expect(error.statementNotSent, "\(error)")
        for sent in [b.waiting, b.second] {
            let e = try await #require(throws: PostgresError.self) { try await sent.value }
            #expect(!e.statementNotSent)
        }
        await b.close()
    }
}
