import Foundation
import Synchronization

/// Something that reacts to readiness of a watched file descriptor. Called on its loop's thread only.
protocol IOHandler: AnyObject {
    func ioEvent(readable: Bool, writable: Bool)
}

/// A token for one watched file descriptor.
struct IORegistration: Hashable, Sendable {
    let id: UInt64
}

/// A single-threaded event loop: it runs submitted jobs one at a time and calls handlers when their file
/// descriptors become ready. All libpq calls on an established connection run on its loop, so a `PGconn`
/// is only ever touched by one thread, and never by a thread of Swift's cooperative pool.
protocol IOLoop: AnyObject, Sendable {
    /// Runs `job` on the loop, after the jobs submitted before it.
    func execute(_ job: @escaping @Sendable () -> Void)
    /// Whether the caller runs on the loop.
    var inLoop: Bool { get }
    /// Starts watching `fd`. Loop only.
    func register(fd: Int32, readable: Bool, writable: Bool, handler: any IOHandler) -> IORegistration
    /// Changes the interest set. Loop only.
    func update(_ registration: IORegistration, readable: Bool, writable: Bool)
    /// Stops watching. Loop only. Safe to call for a descriptor libpq has already closed.
    func deregister(_ registration: IORegistration)
    /// Stops watching, then runs `released` on the loop once the loop no longer uses the descriptor, so
    /// it may be closed (at once for epoll; after the sources' cancel handlers for Dispatch, which must
    /// not see their descriptor closed before). Loop only.
    func deregister(_ registration: IORegistration, then released: @escaping () -> Void)
    /// Runs `job` on the loop once the monotonic clock (``monotonicNanoseconds()``) reaches `deadline`,
    /// unless the timer is cancelled first. Loop only.
    func schedule(at deadline: UInt64, _ job: @escaping () -> Void) -> LoopTimer
    /// Cancels a timer that has not fired yet. Loop only.
    func cancel(_ timer: LoopTimer)
    /// Timers waiting to fire; a cancelled timer no longer counts. Loop only.
    var pendingTimers: Int { get }
}

/// The event loop implementation connections use to wait for socket readiness.
///
/// `epoll` (the default) is one thread blocked in `epoll_wait`; `dispatch` uses `DispatchSource` read and
/// write sources on a serial queue. The package's reactor benchmark measured both on a `SELECT 1` loop
/// (see README); epoll won, so it is the default.
public struct PostgresEventLoop: Sendable {
    let loop: any IOLoop

    /// The shared epoll reactor thread (default).
    public static var epoll: PostgresEventLoop { PostgresEventLoop(loop: SharedLoops.epoll) }
    /// The shared `DispatchSource`-based loop.
    public static var dispatch: PostgresEventLoop { PostgresEventLoop(loop: SharedLoops.dispatch) }
    /// The default loop.
    public static var `default`: PostgresEventLoop { .epoll }

    /// The loop as a task executor, for `withTaskExecutorPreference(_:operation:)` or
    /// `group.addTask(executorPreference:)`: tasks that prefer it run on the loop's own thread, so their
    /// queries are sent and their results resumed without any thread switch (the lowest latency and CPU
    /// per query, most visible at low concurrency). Only for code that never blocks: a task that blocks
    /// the loop thread stalls every connection on the loop. `nil` for the `dispatch` loop.
    public var taskExecutor: (any TaskExecutor)? {
        #if canImport(Glibc)
        loop as? EpollLoop
        #else
        nil
        #endif
    }

    /// A new, private epoll loop with its own thread (for tests and benchmarks; it lives as long as the
    /// process).
    public static func makeEpoll(name: String) -> PostgresEventLoop {
        PostgresEventLoop(loop: EpollLoop(name: name))
    }

    /// The first `count` shared epoll loops, each a thread of its own (the first is ``epoll``), created on
    /// first use and kept for the life of the process. For ``PostgresPool/Configuration/eventLoops``: a
    /// pool spreads its connections over them, so that results are read and callers resumed on several
    /// threads; one loop per core is the usual choice. `count` is clamped to 1...64.
    public static func epollLoops(_ count: Int) -> [PostgresEventLoop] {
        SharedLoops.epollGroup(max(1, min(count, 64))).map { PostgresEventLoop(loop: $0) }
    }

    /// How many loops a pool of `connections` connections is usually given: one per core, but no more
    /// than connections (a loop without a connection serves nobody); at least 1. The benchmarks and
    /// `sessionctl bench` use it as their default.
    public static func loopCount(forConnections connections: Int) -> Int {
        max(1, min(ProcessInfo.processInfo.activeProcessorCount, connections))
    }

    /// The task executor for task number `task` when tasks are spread over `loops` in turn (task *i* on
    /// loop *i* mod the count), so that with ``PostgresPool/Configuration/eventLoops`` set to the same
    /// loops each task uses connections of its own loop. `nil` when `loops` is empty or the loop has no
    /// task executor.
    public static func taskExecutor(forTask task: Int, spreadOver loops: [PostgresEventLoop]) -> (any TaskExecutor)? {
        loops.isEmpty ? nil : loops[abs(task % loops.count)].taskExecutor
    }

    /// Whether the calling code runs on this loop's thread (a task that prefers its ``taskExecutor``, or
    /// a job of the loop itself).
    public var isCurrent: Bool { loop.inLoop }

    /// Whether both values are the same loop.
    public func isSame(as other: PostgresEventLoop) -> Bool { loop === other.loop }
}

enum SharedLoops {
    static let epoll: EpollLoop = EpollLoop(name: "libpq-epoll")
    static let dispatch: DispatchLoop = DispatchLoop(label: "libpq-dispatch")
    /// Shared epoll loops beyond the first, created on demand.
    private static let extraEpoll = Mutex<[EpollLoop]>([])

    static func epollGroup(_ count: Int) -> [EpollLoop] {
        guard count > 1 else { return [epoll] }
        return extraEpoll.withLock { extra in
            while extra.count < count - 1 { extra.append(EpollLoop(name: "libpq-epoll-\(extra.count + 1)")) }
            return [epoll] + extra.prefix(count - 1)
        }
    }
}
