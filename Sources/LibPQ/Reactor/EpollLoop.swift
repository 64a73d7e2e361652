#if canImport(Glibc)
import CLibPQ
import Glibc
import Foundation
import DequeModule
import Synchronization

/// An epoll reactor on a dedicated thread, with an eventfd to wake it for new jobs.
// @unchecked Sendable: `handlers` and `nextID` are touched only on the loop thread (checked by
// `assertInLoop`); the job queue is behind a Mutex; the descriptors are immutable after init. The
// loop-only state skips the runtime's dynamic exclusivity checks (`@exclusivity(unchecked)`): one thread
// touches it, and no access is held across a job or handler that could reach it again.
final class EpollLoop: IOLoop, @unchecked Sendable {
    private let epfd: Int32
    private let wakeFD: Int32
    /// A job the loop runs: a closure, or a task that prefers the loop as its executor. Kept in a
    /// non-generic enum so neither needs a heap allocation of its own: a closure stored in an array
    /// directly is re-abstracted through a thunk context, and a task job would need a closure around it.
    private enum Job {
        case closure(@Sendable () -> Void)
        case task(UnownedJob)
    }
    private struct Inbox {
        var jobs: [Job] = []
        var wakePending = false
    }
    private let inbox = Mutex(Inbox())
    @exclusivity(unchecked) private var handlers: [UInt64: (fd: Int32, handler: any IOHandler)] = [:]
    /// Jobs submitted from the loop itself: run before the loop next sleeps, without the eventfd.
    @exclusivity(unchecked) private var localJobs = Deque<Job>()
    @exclusivity(unchecked) private var nextID: UInt64 = 1
    @exclusivity(unchecked) private var timers = TimerHeap()
    private let threadID = Atomic<UInt>(0)

    init(name: String) {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epfd >= 0, "epoll_create1 failed: errno \(errno)")
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        precondition(wakeFD >= 0, "eventfd failed: errno \(errno)")
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = 0
        precondition(epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, &ev) == 0, "epoll_ctl(eventfd) failed: errno \(errno)")
        startThread(named: name, stackSize: 1 << 20) { [self] in run() }
    }

    var inLoop: Bool { threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    func execute(_ job: @escaping @Sendable () -> Void) {
        submit(.closure(job))
    }

    private func submit(_ job: Job) {
        if inLoop {
            localJobs.append(job)
            return
        }
        let wake = inbox.withLock { inbox -> Bool in
            inbox.jobs.append(job)
            if inbox.wakePending { return false }
            inbox.wakePending = true
            return true
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    func register(fd: Int32, readable: Bool, writable: Bool, handler: any IOHandler) -> IORegistration {
        let id = nextID
        nextID += 1
        handlers[id] = (fd, handler)
        var ev = epoll_event()
        ev.events = Self.mask(readable: readable, writable: writable)
        ev.data.u64 = id
        if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST {
            _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
        }
        return IORegistration(id: id)
    }

    func update(_ registration: IORegistration, readable: Bool, writable: Bool) {
        guard let entry = handlers[registration.id] else { return }
        var ev = epoll_event()
        ev.events = Self.mask(readable: readable, writable: writable)
        ev.data.u64 = registration.id
        if epoll_ctl(epfd, EPOLL_CTL_MOD, entry.fd, &ev) != 0 && errno == ENOENT {
            _ = epoll_ctl(epfd, EPOLL_CTL_ADD, entry.fd, &ev)  // the kernel dropped a closed descriptor
        }
    }

    func deregister(_ registration: IORegistration, then released: @escaping () -> Void) {
        deregister(registration)
        released()
    }

    func deregister(_ registration: IORegistration) {
        guard let entry = handlers.removeValue(forKey: registration.id) else { return }
        var ev = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, entry.fd, &ev)  // EBADF/ENOENT when libpq already closed it
    }

    func schedule(at deadline: UInt64, _ job: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(deadline: deadline, job: job)
        timers.insert(timer)
        return timer
    }

    func cancel(_ timer: LoopTimer) {
        _ = timer.take()
        timers.remove(timer)
    }

    var pendingTimers: Int { timers.count }

    /// How long `epoll_wait` may sleep: not at all with local jobs waiting, until the next timer, or
    /// indefinitely.
    private func waitTimeout() -> Int32 {
        if !localJobs.isEmpty { return 0 }
        guard let next = timers.nextDeadline else { return -1 }
        let now = monotonicNanoseconds()
        guard next > now else { return 0 }
        return Int32(min((next - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    private static func mask(readable: Bool, writable: Bool) -> UInt32 {
        var m: UInt32 = 0
        if readable { m |= EPOLLIN.rawValue }
        if writable { m |= EPOLLOUT.rawValue }
        return m
    }

    private func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .relaxed)
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var jobs: [Job] = []
        while true {
            let n = epoll_wait(epfd, events, Int32(capacity), waitTimeout())
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: errno \(errno)")
            }
            var woke = false
            for i in 0..<Int(n) {
                let ev = events[i]
                let id = ev.data.u64
                if id == 0 {
                    woke = true
                    continue
                }
                guard let entry = handlers[id] else { continue }
                let bits = ev.events
                let hup = bits & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
                entry.handler.ioEvent(
                    readable: bits & EPOLLIN.rawValue != 0 || hup, writable: bits & EPOLLOUT.rawValue != 0 || hup)
            }
            if woke {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, 8)
                inbox.withLock { inbox in
                    inbox.wakePending = false
                    swap(&jobs, &inbox.jobs)
                }
                for job in jobs { run(job) }
                jobs.removeAll(keepingCapacity: true)
            }
            // Jobs the loop gave itself (resumed tasks that prefer this executor, the pumps their queries
            // schedule): a few rounds per turn, so a resumed task's next query is sent in this same turn,
            // while I/O is still polled between bursts.
            // Each job is taken out as it runs (no bulk removal afterwards); a round runs the jobs queued
            // when it starts, the ones they queue wait for the next round.
            var rounds = 0
            while !localJobs.isEmpty && rounds < 4 {
                for _ in 0..<localJobs.count {
                    guard let job = localJobs.popFirst() else { break }
                    run(job)
                }
                rounds += 1
            }
            if !timers.isEmpty {
                let now = monotonicNanoseconds()
                while let timer = timers.popExpired(now: now) { timer.take()?() }
            }
        }
    }
}

/// The epoll loop as a task executor: tasks that prefer it (`withTaskExecutorPreference`) run on the loop
/// thread, so submitting a query and resuming after its result need no thread switch at all.
extension EpollLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        submit(.task(UnownedJob(job)))
    }

    private func run(_ job: Job) {
        switch job {
        case .closure(let body): body()
        case .task(let task): task.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
#endif
