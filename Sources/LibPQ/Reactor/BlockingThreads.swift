import DequeModule
import Foundation

/// A few threads of the library's own for the libpq calls that block: `PQcancel` (connects to the server,
/// sends the cancel packet and waits until the server has acted on it) and opening a connection
/// (`PQconnectStartParams` resolves host names, `PQconnectPoll` may resolve the next host's).
///
/// They never run on Swift's global executor or Dispatch's global queues: on Linux those are the same
/// threads, and one of them blocked in `recv()` stalls every task in the process (a frozen server froze
/// the whole process that way). A private `DispatchQueue` would not help: its work runs on the same global
/// threads.
///
/// Concurrency is bounded (`maximumThreads`; threads start on demand and stay), and every job has a
/// deadline: a job still queued when its deadline passes is not run, and its `expired` handler runs instead
/// (on a worker thread), so a burst of cancels against an unresponsive server cannot pile up work that would
/// only make things worse once it answers again.
// @unchecked Sendable: all mutable state is behind `condition` (an NSCondition, which is a mutex).
final class BlockingThreads: @unchecked Sendable {
    struct Job {
        /// ``monotonicNanoseconds()`` after which the job is not started.
        let deadline: UInt64
        let run: @Sendable () -> Void
        let expired: @Sendable () -> Void
    }

    let name: String
    let maximumThreads: Int
    let maximumQueued: Int
    private let condition = NSCondition()
    private var queue = Deque<Job>()
    private var threads = 0
    private var idle = 0

    init(name: String, maximumThreads: Int, maximumQueued: Int = 4096) {
        self.name = name
        self.maximumThreads = max(1, maximumThreads)
        self.maximumQueued = max(1, maximumQueued)
    }

    /// Runs `job.run` on one of the threads before `job.deadline`, or `job.expired` when that is not
    /// possible (the deadline passed while queued, or the queue is full: then at once, on the caller's
    /// thread).
    func submit(_ job: Job) {
        condition.lock()
        guard queue.count < maximumQueued else {
            condition.unlock()
            job.expired()
            return
        }
        queue.append(job)
        let start = idle == 0 && threads < maximumThreads
        if start { threads += 1 }
        let number = threads
        condition.signal()
        condition.unlock()
        if start {
            startThread(named: "\(name)-\(number)", stackSize: 512 << 10) { [self] in work() }
        }
    }

    /// Jobs queued and not yet started.
    var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
            }
            let job = queue.removeFirst()
            condition.unlock()
            if monotonicNanoseconds() > job.deadline {
                job.expired()
            } else {
                job.run()
            }
        }
    }

    /// Cancel requests: a handful at once is plenty (each takes a round trip and a fork on the server);
    /// more would only add load to a server that is already slow to answer.
    static let cancels = BlockingThreads(name: "libpq-cancel", maximumThreads: 4)
    /// Connection attempts (name lookups, TCP and TLS handshakes, authentication).
    static let connects = BlockingThreads(name: "libpq-connect", maximumThreads: 4)
}
