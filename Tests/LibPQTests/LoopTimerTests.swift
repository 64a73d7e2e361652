import Foundation
@testable import LibPQ
import TestSupport
import Testing

@Suite struct TimerHeapTests {
    @Test func popsInDeadlineOrderAndRemovesCancelledTimersAtOnce() {
        var heap = TimerHeap()
        var fired: [UInt64] = []
        var timers: [LoopTimer] = []
        // Deadlines in a scrambled order, some equal.
        for d in [50, 10, 40, 10, 30, 20, 60, 0, 35, 45] as [UInt64] {
            let t = LoopTimer(deadline: d) { fired.append(d) }
            timers.append(t)
            heap.insert(t)
        }
        // Cancel three from the middle, the front and the back of the heap.
        for i in [2, 7, 6] {
            _ = timers[i].take()
            heap.remove(timers[i])
        }
        #expect(heap.count == 7)
        heap.remove(timers[2])  // twice: no effect
        #expect(heap.count == 7)
        #expect(heap.popExpired(now: 5) == nil)  // nothing due yet (the 0 was cancelled)
        while let t = heap.popExpired(now: 100) { t.take()?() }
        #expect(fired == [10, 10, 20, 30, 35, 45, 50])
        #expect(heap.isEmpty && heap.nextDeadline == nil)
    }

    @Test func durationsConvertToNanosecondsAndClamp() {
        #expect(Duration.milliseconds(1500).clampedNanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(7).clampedNanoseconds == 7)
        #expect(Duration.seconds(-1).clampedNanoseconds == 0)
        #expect(Duration.seconds(Int64.max).clampedNanoseconds == UInt64.max / 4)
    }

    @Test func durationsReadWellInMessages() {
        #expect(Duration.nanoseconds(10_000_361_824).readable == "10 s")
        #expect(Duration.milliseconds(1500).readable == "1.5 s")
        #expect(Duration.milliseconds(250).readable == "250 ms")
        #expect(Duration.microseconds(300).readable == "0.3 ms")
    }
}

@Suite struct LoopTimerTests {
    /// What the timers' jobs saw; touched on the loop only, read after the last job resumed the test.
    private final class Record: @unchecked Sendable {
        var fired: [Int] = []
        var pendingAfterCancel = -1
    }

    private static func onLoop<T: Sendable>(_ loop: any IOLoop, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in loop.execute { c.resume(returning: body()) } }
    }

    @Test(arguments: ["epoll", "dispatch"])
    func timersFireInDeadlineOrderAndCancelledOnesLeaveAtOnce(_ kind: String) async {
        // A loop of its own, so that no other test's timers count.
        let loop: any IOLoop = kind == "epoll" ? EpollLoop(name: "timer-test") : DispatchLoop(label: "timer-test")
        let record = Record()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                let now = monotonicNanoseconds()
                var timers: [Int: LoopTimer] = [:]
                for ms in [30, 10, 5, 20, 40, 50, 3_600_000] {
                    timers[ms] = loop.schedule(at: now + UInt64(ms) * 1_000_000) {
                        record.fired.append(ms)
                        if ms == 10 {
                            // Scheduled while timers fire: it still fires, in its place.
                            _ = loop.schedule(at: now + 25_000_000) { record.fired.append(25) }
                        }
                        if ms == 40 { done.resume() }
                    }
                }
                // The earliest (the one the loop's system timer waits for) and an hour-long one (a query
                // timeout, say) cancelled right away leave nothing behind.
                for ms in [5, 20, 50, 3_600_000] { loop.cancel(timers[ms]!) }
                record.pendingAfterCancel = loop.pendingTimers
            }
        }
        #expect(record.pendingAfterCancel == 3)
        #expect(record.fired == [10, 25, 30, 40])
        // The cancelled 50 ms timer never fires: a later one does, alone.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                _ = loop.schedule(at: monotonicNanoseconds() + 40_000_000) {
                    record.fired.append(60)
                    done.resume()
                }
            }
        }
        #expect(record.fired == [10, 25, 30, 40, 60])
        #expect(await Self.onLoop(loop) { loop.pendingTimers } == 0)
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct QueryTimeoutTests {
    @Test(arguments: ["epoll", "dispatch"])
    func timeoutsFireOnEitherLoopAndOnlyForTheSlowQueries(_ loop: String) async throws {
        let c = try await TestDatabase.connect { $0.eventLoop = loop == "epoll" ? .epoll : .dispatch }
        // Slow and fast queries with timeouts side by side: only the slow ones time out, and none waits
        // for another's deadline.
        let start = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: (Int, PostgresError.Code?).self) { group in
            for i in 0..<12 {
                group.addTask {
                    let sql: PostgresQuery = i % 3 == 0 ? "SELECT pg_sleep(30)" : "SELECT \(Int64(i))"
                    do {
                        try await c.query(sql, timeout: .milliseconds(i % 3 == 0 ? 300 : 20_000))
                        return (i, nil)
                    } catch let e as PostgresError {
                        return (i, e.code)
                    }
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(ContinuousClock.now - start < .seconds(20))
        for (i, code) in outcomes {
            #expect(code == (i % 3 == 0 ? .timeout : nil), "query \(i)")
        }
        #expect(try await c.query("SELECT 3::int8")[0].decode(Int64.self, at: 0) == 3)
        await c.close()
    }

    @Test func aQueryQueuedBehindAFullPipelineTimesOutBeforeItIsSent() async throws {
        // Depth 1: the second query waits in the client until the first is done.
        let c = try await TestDatabase.connect { $0.maximumPipelineDepth = 1 }
        let slow = Task { try await c.query("SELECT pg_sleep(1)") }
        #expect(await TestDatabase.eventually { c.queriesInFlight == 1 })
        let error = try await #require(throws: PostgresError.self) {
            try await c.query("SELECT 1", timeout: .milliseconds(100))
        }
        #expect(error.code == .timeout)
        #expect(error.description.contains("before it was sent"))
        _ = try await slow.value
        await c.close()
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ConnectionCloseTests {
    private static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    @Test(arguments: ["epoll", "dispatch"])
    func closingConnectionsReleasesTheirSocketsOnEitherLoop(_ loop: String) async throws {
        // Warm up (libpq and the loop open what they keep for the process).
        await (try TestDatabase.connect { $0.eventLoop = loop == "epoll" ? .epoll : .dispatch }).close()
        let before = Self.openDescriptors()
        for _ in 0..<20 {
            let c = try await TestDatabase.connect { $0.eventLoop = loop == "epoll" ? .epoll : .dispatch }
            #expect(try await c.query("SELECT 1::int8")[0].decode(Int64.self, at: 0) == 1)
            await c.close()
        }
        // The Dispatch loop closes a socket once its sources' cancel handlers have run, on its queue.
        #expect(await TestDatabase.eventually { Self.openDescriptors() <= before + 2 }, "\(Self.openDescriptors()) open, \(before) before")
    }
}
