@_spi(PoolInternals) public import LibPQ
import Synchronization

/// A ``PoolClock`` that only moves when told to. Sleepers wake when ``advance(by:)`` passes their deadline.
@_spi(PoolInternals)
public final class FakePoolClock: PoolClock, Sendable {
    private struct State {
        var now: Duration = .zero
        var sleepers: [(id: Int, deadline: Duration, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID = 0
        /// Sleeps cancelled before they registered.
        var cancelled: Set<Int> = []
        var sleepCalls = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var now: Duration { state.withLock { $0.now } }

    /// How many times `sleep(until:)` was called.
    public var sleepCalls: Int { state.withLock { $0.sleepCalls } }

    /// Sleepers not yet woken.
    public var pendingSleepers: Int { state.withLock { $0.sleepers.count } }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.now += duration
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.map(\.continuation)
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for c in woken { c.resume() }
    }

    public func sleep(until deadline: Duration) async throws {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let due = state.withLock { s -> Bool in
                    s.sleepCalls += 1
                    if deadline <= s.now || s.cancelled.remove(id) != nil { return true }
                    s.sleepers.append((id, deadline, c))
                    return false
                }
                if due { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else {
                    s.cancelled.insert(id)
                    return nil
                }
                return s.sleepers.remove(at: i).continuation
            }
            c?.resume()
        }
        try Task.checkCancellation()
    }
}
