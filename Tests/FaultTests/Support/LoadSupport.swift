import LibPQ
import Synchronization

/// A flag the load tasks poll to know when to stop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// One call a load task made: when it started and ended (relative to the scenario's start), and how it
/// ended (nil: it succeeded).
struct Call: Sendable {
    var caller: Int
    var start: Duration
    var end: Duration
    var error: (any Error)?

    var elapsed: Duration { end - start }
    var succeeded: Bool { error == nil }
    var code: PostgresError.Code? { (error as? PostgresError)?.code }
}

/// The time line of a scenario: durations since its start.
struct Timeline: Sendable {
    let clock = ContinuousClock()
    let origin: ContinuousClock.Instant

    init() { origin = clock.now }

    var now: Duration { clock.now - origin }

    /// Runs `body`, recording it as a call of `caller`.
    func call(
        _ caller: Int, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void
    ) async -> Call {
        let start = now
        do {
            try await body()
            return Call(caller: caller, start: start, end: now, error: nil)
        } catch {
            return Call(caller: caller, start: start, end: now, error: error)
        }
    }
}

extension Sequence where Element == Call {
    /// Failed calls counted by ``FaultReport/label(_:)``.
    var errorTally: [String: Int] {
        reduce(into: [:]) { counts, call in
            if let e = call.error { counts[FaultReport.label(e), default: 0] += 1 }
        }
    }

    var maxElapsed: Duration { map(\.elapsed).max() ?? .zero }
}

/// A task on the default executor that sleeps `interval` again and again and records how late it woke.
/// Scenario (a)'s witness: a blocked global executor thread shows up here as lateness.
enum Heartbeat {
    struct Result: Sendable {
        var beats = 0
        var maxLate: Duration = .zero
        /// When the latest wake-up came (relative to the timeline).
        var maxLateAt: Duration = .zero
        var over50ms = 0
    }

    static func run(interval: Duration, timeline: Timeline, until stop: StopFlag) async -> Result {
        var result = Result()
        while !stop.isSet {
            let before = timeline.now
            try? await Task.sleep(for: interval)
            let late = timeline.now - before - interval
            result.beats += 1
            if late > .milliseconds(50) { result.over50ms += 1 }
            if late > result.maxLate {
                result.maxLate = late
                result.maxLateAt = before
            }
        }
        return result
    }
}
