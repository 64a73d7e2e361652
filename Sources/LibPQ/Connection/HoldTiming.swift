/// What a connection learns of its link and its server from its own traffic, for the read-only hold
/// (``ConnectionCore/holdsReadOnlyQueries()``). Loop only, as the connection's other state.
///
/// The hold keeps read-only queries in the client while two groups are in flight and sends them when the
/// first is answered. They then reach the server half a round trip later, while the server works on the
/// second group: the server never waits for them as long as it takes at least a round trip over that
/// group. On the same host (a round trip of ~50 µs, a group of lookups ~130 µs of server time) that
/// holds, and the hold's larger groups save CPU on both sides. Across a network, or through a pooler,
/// a round trip can be longer than a group, and the server would sit idle for the difference at every
/// group: measured through a proxy that delays each direction (lookups at 16 callers then take ~2 ms),
/// 4.2k lookups a second with an unconditional hold against 7.0k without it. So the connection measures
/// both and holds only while `groupTime >= roundTrip` (``holdPays``): 6.7k through that proxy, and on
/// one host the same as the unconditional hold.
struct HoldTiming {
    /// The smallest round trip seen, in nanoseconds (0 until the first): the time from sending a sync
    /// point while no other was in flight to its answer, for statements that sent no `Parse`. The first
    /// statement of every connection through the pool is one (the session set-up, sent unnamed). A minimum,
    /// since a sample also holds the statement's own server time and the client's wake-up.
    var roundTrip: UInt64 = 0
    /// The server's time per group, in nanoseconds (0 until the first sample): the time between two
    /// answers when the second group had reached the server before the first was done (sent at least a
    /// round trip before the first answer came in), so the server went from one to the other without
    /// waiting. A moving average, each sample weighing 1/8.
    var groupTime: UInt64 = 0
    /// When the last sync point was answered (``monotonicNanoseconds()``), 0 before the first.
    private(set) var lastAnswer: UInt64 = 0

    /// Records a sync point's answer at `now`: its group was sent at `sentAt` (0 when unknown), and
    /// `timesRoundTrip` says it went out with nothing else in flight and no `Parse`.
    mutating func answered(sentAt: UInt64, timesRoundTrip: Bool, at now: UInt64) {
        defer { lastAnswer = now }
        guard sentAt != 0, now > sentAt else { return }
        if timesRoundTrip {
            let sample = now - sentAt
            if roundTrip == 0 || sample < roundTrip { roundTrip = sample }
        } else if roundTrip != 0, lastAnswer != 0, sentAt &+ roundTrip <= lastAnswer, now > lastAnswer {
            let sample = Int64(now - lastAnswer)
            groupTime = groupTime == 0 ? UInt64(sample) : UInt64(Int64(groupTime) + (sample - Int64(groupTime)) / 8)
        }
    }

    /// Whether a held group still reaches the server before it runs out of work: both are known and the
    /// server's time per group is at least a round trip.
    var holdPays: Bool { roundTrip != 0 && groupTime >= roundTrip }
}
