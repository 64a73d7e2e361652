import Dispatch

/// An event loop on a serial `DispatchQueue`, with `DispatchSource` read and write sources per descriptor.
// @unchecked Sendable: `sources`, `nextID` and the timers are only touched on `queue` (the loop).
final class DispatchLoop: IOLoop, @unchecked Sendable {
    private let queue: DispatchQueue
    private let key = DispatchSpecificKey<Bool>()
    private final class Sources {
        let read: any DispatchSourceRead
        let write: any DispatchSourceWrite
        var readResumed = false
        var writeResumed = false
        init(read: any DispatchSourceRead, write: any DispatchSourceWrite) {
            self.read = read
            self.write = write
        }
    }
    private var sources: [UInt64: Sources] = [:]
    private var nextID: UInt64 = 1

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: key, value: true)
    }

    var inLoop: Bool { DispatchQueue.getSpecific(key: key) == true }

    func execute(_ job: @escaping @Sendable () -> Void) {
        queue.async(execute: job)
    }

    func register(fd: Int32, readable: Bool, writable: Bool, handler: any IOHandler) -> IORegistration {
        let id = nextID
        nextID += 1
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        // The handler is held weakly by the sources' closures through `self.sources`; they call it only
        // while registered.
        read.setEventHandler { [weak handler] in handler?.ioEvent(readable: true, writable: false) }
        write.setEventHandler { [weak handler] in handler?.ioEvent(readable: false, writable: true) }
        let s = Sources(read: read, write: write)
        sources[id] = s
        holders[id] = handler
        apply(s, readable: readable, writable: writable)
        return IORegistration(id: id)
    }

    /// Keeps handlers alive while registered (the event closures capture them weakly).
    private var holders: [UInt64: any IOHandler] = [:]

    func update(_ registration: IORegistration, readable: Bool, writable: Bool) {
        guard let s = sources[registration.id] else { return }
        apply(s, readable: readable, writable: writable)
    }

    func deregister(_ registration: IORegistration) {
        deregister(registration, then: {})
    }

    func deregister(_ registration: IORegistration, then released: @escaping () -> Void) {
        guard let s = sources.removeValue(forKey: registration.id) else {
            released()
            return
        }
        holders[registration.id] = nil
        // Both cancel handlers run on the queue; the descriptor may be closed after the second.
        var remaining = 2
        let handler: () -> Void = {
            remaining -= 1
            if remaining == 0 { released() }
        }
        s.read.setCancelHandler(handler: handler)
        s.write.setCancelHandler(handler: handler)
        s.read.cancel()
        s.write.cancel()
        // A suspended source must be resumed before it is released; after cancel its handler won't run.
        if !s.readResumed { s.read.resume() }
        if !s.writeResumed { s.write.resume() }
    }

    /// The loop's timers; one Dispatch timer source is armed for the earliest.
    private var timers = TimerHeap()
    private var timerSource: (any DispatchSourceTimer)?
    /// The deadline `timerSource` is armed for, if it is.
    private var armedFor: UInt64?

    /// Loop timers waiting to fire (cancelled ones leave at once).
    var pendingTimers: Int { timers.count }

    func schedule(at deadline: UInt64, _ job: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(deadline: deadline, job: job)
        timers.insert(timer)
        armTimerSource()
        return timer
    }

    func cancel(_ timer: LoopTimer) {
        _ = timer.take()
        // Out of the heap at once, so nothing of it stays queued until its deadline. The source may stay
        // armed for it: it then fires with nothing due and re-arms for the next timer.
        timers.remove(timer)
    }

    /// Arms the timer source for the earliest timer unless it is armed for that or earlier already.
    private func armTimerSource() {
        guard let next = timers.nextDeadline else { return }
        if let armed = armedFor, armed <= next { return }
        let source: any DispatchSourceTimer
        if let existing = timerSource {
            source = existing
        } else {
            source = DispatchSource.makeTimerSource(queue: queue)
            source.setEventHandler { [weak self] in self?.timerSourceFired() }
            source.resume()
            timerSource = source
        }
        armedFor = next
        let now = monotonicNanoseconds()
        let delay = next > now ? next - now : 0
        // A millisecond of leeway, as the epoll loop rounds its waits to milliseconds: timeouts need no
        // more, and it lets Dispatch coalesce wake-ups.
        source.schedule(deadline: .now() + .nanoseconds(Int(min(delay, UInt64(Int.max)))), leeway: .milliseconds(1))
    }

    private func timerSourceFired() {
        // "Armed for 0" while the due timers run: a job that schedules a timer does not arm the source for
        // a timer still due here (it would fire again at once); the source is armed once, after them.
        armedFor = 0
        let now = monotonicNanoseconds()
        while let timer = timers.popExpired(now: now) { timer.take()?() }
        armedFor = nil
        armTimerSource()
    }

    deinit { timerSource?.cancel() }

    private func apply(_ s: Sources, readable: Bool, writable: Bool) {
        if readable != s.readResumed {
            if readable { s.read.resume() } else { s.read.suspend() }
            s.readResumed = readable
        }
        if writable != s.writeResumed {
            if writable { s.write.resume() } else { s.write.suspend() }
            s.writeResumed = writable
        }
    }
}
