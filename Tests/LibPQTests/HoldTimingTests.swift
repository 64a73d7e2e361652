import Foundation
@testable import LibPQ
import TestSupport
import Testing

/// What a connection learns of its round trip and its server's time per group (`HoldTiming`), which
/// decides whether the read-only hold pays.
@Suite struct HoldTimingTests {
    @Test func theRoundTripIsTheSmallestTimedAnswer() {
        var t = HoldTiming()
        t.answered(sentAt: 1_000, timesRoundTrip: true, at: 1_300)
        t.answered(sentAt: 2_000, timesRoundTrip: true, at: 2_100)
        t.answered(sentAt: 3_000, timesRoundTrip: true, at: 3_200)
        #expect(t.roundTrip == 100)
        #expect(t.groupTime == 0 && !t.holdPays)
    }

    @Test func theServersTimePerGroupCountsOnlyGroupsThatWereAlreadyThere() {
        var t = HoldTiming()
        t.answered(sentAt: 1_000, timesRoundTrip: true, at: 1_100)  // round trip 100
        // Sent 50 before the answer at 1,100: still on its way then, so the gap to its answer may hold
        // the server's wait for it. Not a sample.
        t.answered(sentAt: 1_050, timesRoundTrip: false, at: 1_400)
        #expect(t.groupTime == 0)
        // Sent a round trip or more before the answer at 1,400: the server went on to it at once.
        t.answered(sentAt: 1_300, timesRoundTrip: false, at: 1_640)
        #expect(t.groupTime == 240)
        t.answered(sentAt: 1_400, timesRoundTrip: false, at: 1_720)  // 80: the average moves by an eighth
        #expect(t.groupTime == 240 - 20)
        #expect(t.holdPays)
    }

    @Test func aRoundTripLongerThanTheServersTimePerGroupStopsTheHold() {
        var t = HoldTiming()
        t.answered(sentAt: 1_000, timesRoundTrip: true, at: 1_500)  // round trip 500
        t.answered(sentAt: 1_000, timesRoundTrip: false, at: 1_600)  // sent 500 before 1,500: 100 of server time
        #expect(t.roundTrip == 500 && t.groupTime == 100)
        #expect(!t.holdPays)
        t.answered(sentAt: 0, timesRoundTrip: false, at: 2_000)  // unknown send time: no sample
        #expect(t.groupTime == 100)
    }
}

/// The same, measured by a connection on its own traffic against a real server.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage), .timeLimit(.minutes(1)))
struct HoldTimingServerTests {
    @Test func aConnectionLearnsItsRoundTripAndTheServersTimePerGroup() async throws {
        let c = try await TestDatabase.connect()
        // The session set-up statement (sent unnamed, nothing else in flight) timed a round trip.
        let roundTrip = await c.core.onLoop { $0.holdTiming.roundTrip }
        #expect(roundTrip > 0 && roundTrip < 1_000_000_000)
        // Four statements of 50 ms each, pipelined: the server goes from one to the next without waiting,
        // so their answers come 50 ms apart. (Generous bounds: on a loaded machine the round trip timed at
        // set-up can take milliseconds, and the loop can read two answers late, closer together.)
        async let a = c.query("SELECT pg_sleep(0.05)")
        async let b = c.query("SELECT pg_sleep(0.05)")
        async let d = c.query("SELECT pg_sleep(0.05)")
        async let e = c.query("SELECT pg_sleep(0.05)")
        _ = try await (a, b, d, e)
        let timing = await c.core.onLoop { $0.holdTiming }
        #expect(timing.groupTime >= 10_000_000 && timing.groupTime < 1_000_000_000, "\(timing) per group")
        #expect(timing.holdPays, "\(timing)")
        await c.close()
    }
}
