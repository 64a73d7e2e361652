#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock, in nanoseconds (`CLOCK_MONOTONIC`), that loop timers use.
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `0...UInt64.max / 4`.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let limit = UInt64.max / 4
        guard UInt64(seconds) < limit / 1_000_000_000 else { return limit }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}

/// A one-shot timer on an event loop (per-query timeouts). Created, cancelled and fired on the loop only.
///
/// A loop keeps its timers in a ``TimerHeap``: adding and cancelling are O(log n) and a cancelled timer
/// leaves at once, so memory follows the timers pending, not the ones ever started (a `Task.sleep` per
/// query, the alternative, keeps its timer until the deadline even when cancelled).
// @unchecked Sendable: every field is touched on the owning loop's thread only.
final class LoopTimer: @unchecked Sendable {
    let deadline: UInt64
    fileprivate(set) var job: (() -> Void)?
    fileprivate var heapIndex = -1

    init(deadline: UInt64, job: @escaping () -> Void) {
        self.deadline = deadline
        self.job = job
    }

    /// Whether it neither fired nor was cancelled yet.
    var isPending: Bool { job != nil }

    /// Takes the job out (it runs at most once).
    func take() -> (() -> Void)? {
        defer { job = nil }
        return job
    }
}

/// A binary min-heap of timers by deadline, each timer knowing its index so it can be removed early.
struct TimerHeap {
    private var items: [LoopTimer] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    /// The earliest deadline.
    var nextDeadline: UInt64? { items.first?.deadline }

    mutating func insert(_ timer: LoopTimer) {
        timer.heapIndex = items.count
        items.append(timer)
        siftUp(items.count - 1)
    }

    /// Removes `timer` if it is in the heap.
    mutating func remove(_ timer: LoopTimer) {
        let i = timer.heapIndex
        guard i >= 0, i < items.count, items[i] === timer else { return }
        timer.heapIndex = -1
        let last = items.removeLast()
        guard i < items.count else { return }
        items[i] = last
        last.heapIndex = i
        siftDown(i)
        siftUp(i)
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    mutating func popExpired(now: UInt64) -> LoopTimer? {
        guard let first = items.first, first.deadline <= now else { return nil }
        remove(first)
        return first
    }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < items.count && items[l].deadline < items[smallest].deadline { smallest = l }
            if r < items.count && items[r].deadline < items[smallest].deadline { smallest = r }
            guard smallest != i else { return }
            swapAt(i, smallest)
            i = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        items[a].heapIndex = a
        items[b].heapIndex = b
    }
}
