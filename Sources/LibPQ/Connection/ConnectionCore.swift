import CLibPQ
import DequeModule
import Logging
import Metrics
import Synchronization

/// The engine of one connection. It owns the `PGconn` and runs every libpq call for it on its event loop
/// (never on Swift's cooperative pool), so the `PGconn` is touched by exactly one thread at a time.
///
/// Callers submit ``Request``s from any thread into a locked inbox; the loop moves them into libpq's
/// pipeline (each with its own sync point, so one failure never aborts another request), flushes once per
/// batch, and completes them in order as their results and sync markers arrive.
// @unchecked Sendable: every stored `var` is loop-confined (touched only in loop jobs and I/O callbacks),
// except `inbox`, which is a Mutex.
// `@exclusivity(unchecked)`: the loop-confined state is read and changed by one thread, in code that never
// holds an access across a call that could reach the same property, so the runtime's dynamic exclusivity
// checks (a `swift_beginAccess`/`swift_endAccess` pair per access of a class property, some twenty per query
// on the send and read paths, ~3% of the client's instructions) cannot find anything and are switched off.
final class ConnectionCore: IOHandler, @unchecked Sendable {
    enum State {
        case connecting
        case ready
        case closed(PostgresError)
    }

    let id: Int
    let loop: any IOLoop
    var logger: Logger
    let configuration: PostgresConfiguration

    @exclusivity(unchecked) var conn: OpaquePointer?
    @exclusivity(unchecked) var registration: IORegistration?
    @exclusivity(unchecked) var registeredFD: Int32 = -1
    @exclusivity(unchecked) var state: State = .connecting
    @exclusivity(unchecked) var connectContinuation: CheckedContinuation<Void, any Error>?

    /// Sent and waiting for results, in pipeline order.
    @exclusivity(unchecked) var inflight = Deque<Request>()
    /// Accepted by the loop, not yet sent (pipeline full, or waiting behind a script).
    @exclusivity(unchecked) var pending = Deque<Request>()
    /// Whether a script is running outside pipeline mode.
    @exclusivity(unchecked) var scriptInFlight = false
    @exclusivity(unchecked) var wantsWrite = false
    /// Whether a pump is scheduled for requests submitted on the loop.
    @exclusivity(unchecked) var pumpScheduled = false
    /// Off (capacity 0) until the connection knows it talks to PostgreSQL directly (see
    /// `ConnectionCore+Pooler.swift`); never on through a transaction pooler.
    @exclusivity(unchecked) var statements: StatementCache
    /// Whether a transaction pooler sits between this connection and the server (declared, or found when
    /// connecting): statements stay unnamed and `LISTEN` is refused.
    @exclusivity(unchecked) var pooled = false
    /// Prepared statements to deallocate, sent before the next request.
    @exclusivity(unchecked) var deallocations: [String] = []
    @exclusivity(unchecked) var cancelHandle: CancelHandle?
    /// Whether a statement that may have opened a transaction block was sent since libpq last reported the
    /// session idle (read-only groups wait until it is false).
    @exclusivity(unchecked) var transactionMayBeOpen = false
    /// Set when a read-only group's guard failed: read-only queries then get sync points of their own.
    @exclusivity(unchecked) var groupingDisabled = false
    /// Whether a write waited in the client behind this connection's last writes since the last write or
    /// write group went out: a write going out alone then gets a flush request, as a group of two or more
    /// always does (`send`, `closeGroup` in `pump`).
    @exclusivity(unchecked) var writesWaited = false
    /// Members of the write group being answered whose results are in, waiting for its sync point.
    @exclusivity(unchecked) var heldWrites: [Request] = []
    /// ``readOnlyGuard``, held here: reading the static costs a lazy-initialisation check per group.
    let groupGuard = ConnectionCore.readOnlyGuard
    /// Cancel requests issued on this connection so far. A request remembers the count when it is sent, so
    /// a `57014` on it is known to come from one of this connection's cancels exactly when the count grew
    /// while it was in flight (see `ConnectionCore+Cancel.swift`).
    @exclusivity(unchecked) var cancelsIssued = 0
    /// Whether a cancel request is on its way and the server has not yet acted on it: the connection then
    /// sends nothing new (the cancel fence), so the cancel can only reach statements sent before it.
    @exclusivity(unchecked) var cancelOutstanding = false
    /// Retires the connection when an outstanding cancel takes longer than its deadline.
    @exclusivity(unchecked) var cancelTimer: LoopTimer?
    /// Cancels the head of the pipeline a moment after it got there (see `cancelHeadIfRequested`).
    @exclusivity(unchecked) var headCancelTimer: LoopTimer?
    /// Fails the attempt when connecting takes longer than the connect timeout.
    @exclusivity(unchecked) var connectTimer: LoopTimer?
    /// The connection's notice receiver (notices go to `logger`).
    let noticeSink: NoticeSink
    /// Whether a member of the read-only group being answered failed: the members after it up to the
    /// group's sync point are skipped by the server (and resent), so none of them is cancelled there.
    @exclusivity(unchecked) var groupFailed = false
    @exclusivity(unchecked) var notificationHandler: (@Sendable (PostgresNotification) -> Void)?
    /// Called on the loop when the connection closes (after requests were failed).
    @exclusivity(unchecked) var onClose: (@Sendable (PostgresError) -> Void)?

    struct Inbox {
        var requests: [Request] = []
        var scheduled = false
        var closedError: PostgresError?
        /// Set by the loop while read-only queries wait in the client (``ConnectionCore/holdsReadOnlyQueries()``):
        /// a request that arrives then would wait too, so it wakes no one; the loop takes it when the next
        /// results come in. A request with a deadline still wakes the loop, which arms its timer.
        var holding = false
    }
    /// The loop's copy of `inbox.holding`, so that the loop takes the lock only when it changes.
    @exclusivity(unchecked) var inboxHolding = false
    /// The round trip and the server's time per group, measured, for the read-only hold.
    @exclusivity(unchecked) var holdTiming = HoldTiming()
    let inbox = Mutex(Inbox())
    /// Read without the loop: whether the connection still takes work.
    let isOpen = Atomic<Bool>(false)
    let inflightCount = Atomic<Int>(0)
    /// `pending.count` after the last pump, for ``PostgresConnection/queriesWaiting``.
    let waitingCount = Atomic<Int>(0)
    /// Results returned to callers and not yet freed.
    let openResults = ResultCounter()
    /// `psql.connection.read_only_group.size` (recorder): statements per read-only group sent.
    let groupSizes = IntegerRecorder(label: "psql.connection.read_only_group.size", aggregate: true)
    /// `psql.connection.read_only_group.resent` (counter): group members skipped by the server after an
    /// earlier member failed, and sent again.
    let groupResends = Counter(label: "psql.connection.read_only_group.resent")
    /// `psql.connection.write_group.size` (recorder): writes per write group sent.
    let writeGroupSizes = IntegerRecorder(label: "psql.connection.write_group.size", aggregate: true)
    /// `psql.connection.write_group.rerun` (counter): members of write groups that rolled back (a member
    /// or the commit failed), sent again on their own.
    let writeGroupReruns = Counter(label: "psql.connection.write_group.rerun")

    private static let ids = Atomic<Int>(0)

    init(configuration: PostgresConfiguration, logger: Logger) {
        self.id = Self.ids.wrappingAdd(1, ordering: .relaxed).newValue
        self.configuration = configuration
        self.loop = configuration.eventLoop.loop
        var logger = logger
        logger[metadataKey: "psql.connection.id"] = "\(id)"
        self.logger = logger
        self.noticeSink = NoticeSink(logger: logger)
        // With a pooler possible, nothing is prepared under a name before the connection knows.
        self.statements = StatementCache(capacity: configuration.pooler == .none ? configuration.statementCacheCapacity : 0)
        self.pooled = configuration.pooler == .pgbouncerTransaction
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    // MARK: Submission (any thread)

    /// Hands a request to the loop. Fails it at once when the connection is closed.
    func submit(_ request: Request) {
        if loop.inLoop {
            submitOnLoop(request)
            return
        }
        let outcome = inbox.withLock { inbox -> (schedule: Bool, closed: PostgresError?) in
            if let e = inbox.closedError { return (false, e) }
            inbox.requests.append(request)
            if inbox.scheduled || (inbox.holding && request.deadline == nil) { return (false, nil) }
            inbox.scheduled = true
            return (true, nil)
        }
        if let closed = outcome.closed {
            request.continuation?.resume(throwing: closed.with(query: request.sql).notSent())
            request.continuation = nil
            return
        }
        if outcome.schedule {
            loop.execute { [self] in drainInbox() }
        }
    }

    /// A submission from a task running on the loop itself: no inbox, no wake-up. The pump is deferred to
    /// the end of the loop's current batch, so requests submitted together are flushed together.
    private func submitOnLoop(_ request: Request) {
        switch state {
        case .closed(let e):
            complete(request, error: e.with(query: request.sql).notSent())
            return
        case .connecting:  // unreachable: a connection is handed out only once connected
            complete(request, error: PostgresError(code: .protocolViolation, message: "not connected yet", query: request.sql))
            return
        case .ready:
            break
        }
        armTimer(request)
        pending.append(request)
        if !pumpScheduled {
            pumpScheduled = true
            loop.execute { [self] in
                pumpScheduled = false
                pump()
            }
        }
    }

    /// Asks the loop to cancel `request`: dropped if not yet sent, else cancelled on the server.
    func cancel(_ request: Request, reason: PostgresError.Code) {
        guard request.requestCancel(reason) else { return }
        loop.execute { [self] in cancelOnLoop(request) }
    }

    // MARK: Loop

    /// Moves what callers submitted into `pending` and sends what may go. Runs when a submission woke the
    /// loop, and when results come in while the inbox holds requests.
    func drainInbox() {
        inboxHolding = false
        let requests = inbox.withLock { inbox -> [Request] in
            inbox.scheduled = false
            inbox.holding = false
            defer { inbox.requests.removeAll(keepingCapacity: true) }
            return inbox.requests
        }
        guard case .ready = state else {
            let error: PostgresError
            if case .closed(let e) = state {
                error = e
            } else {  // unreachable: a connection is handed out only once connected
                error = PostgresError(code: .protocolViolation, message: "not connected yet")
            }
            for r in requests { complete(r, error: error.with(query: r.sql).notSent()) }
            return
        }
        for r in requests {
            if r.cancelRequested {
                completeUnsent(r)
            } else {
                armTimer(r)
                pending.append(r)
            }
        }
        pump()
    }

    func ioEvent(readable: Bool, writable: Bool) {
        switch state {
        case .connecting:
            break  // the socket is registered only once connected
        case .ready:
            if writable && wantsWrite { flush() }
            if readable {
                readResults()
                if inboxHolding, case .ready = state {
                    drainInbox()  // the requests that arrived while the inbox held, then the pump
                    return
                }
            }
            if case .ready = state, !pending.isEmpty { pump() }
        case .closed:
            break
        }
    }

    func setInterest(write: Bool) {
        guard let registration, write != wantsWrite else { return }
        wantsWrite = write
        loop.update(registration, readable: true, writable: write)
    }

    /// Starts the request's timeout on the loop, if it has one: when it passes, the request is cancelled
    /// as if its task had been (dropped if not sent yet, else cancelled on the server). Loop only.
    func armTimer(_ request: Request) {
        guard let deadline = request.deadline, request.timer == nil else { return }
        // The timer holds the core strongly, as every closure on the core's hot paths does: one weak
        // reference would move the core's reference count into a side table for the rest of its life, and
        // every retain and release of it would take the runtime's slow path (callgrind: about 1,000 more
        // instructions per query once the connection's first statement with a timeout ran). The timer is
        // cancelled when the request completes and when the connection shuts down, so it keeps the core
        // alive no longer than that.
        request.timer = loop.schedule(at: deadline) { [self] in
            guard request.requestCancel(.timeout) else { return }
            cancelOnLoop(request)
        }
    }

    /// Completes a request on the loop: resumes its caller exactly once.
    func complete(_ request: Request, rows: PostgresRows) {
        disarmTimer(request)
        SanitizerAnnotations.release(request)
        request.continuation?.resume(returning: rows)
        request.continuation = nil
    }

    func complete(_ request: Request, error: PostgresError) {
        disarmTimer(request)
        SanitizerAnnotations.release(request)
        request.continuation?.resume(throwing: error)
        request.continuation = nil
    }

    private func disarmTimer(_ request: Request) {
        if let timer = request.timer {
            loop.cancel(timer)
            request.timer = nil
        }
    }

    /// Closes the connection: fails every request with `error`, frees libpq's resources. Loop only.
    func shutdown(_ error: PostgresError) {
        if case .closed = state { return }
        state = .closed(error)
        isOpen.store(false, ordering: .releasing)
        let late = inbox.withLock { inbox -> [Request] in
            inbox.closedError = error
            defer { inbox.requests.removeAll() }
            return inbox.requests
        }
        // libpq closes the socket in PQfinish: only once the loop has let go of the descriptor.
        let finishing = conn
        conn = nil
        let sink = noticeSink  // the notice receiver's context lives until the PGconn is freed
        let finish = { if let finishing { withExtendedLifetime(sink) { PQfinish(finishing) } } }
        for timer in [connectTimer, cancelTimer, headCancelTimer].compactMap({ $0 }) { loop.cancel(timer) }
        connectTimer = nil
        cancelTimer = nil
        headCancelTimer = nil
        if let registration {
            loop.deregister(registration, then: finish)
        } else {
            finish()
        }
        registration = nil
        if let c = connectContinuation {
            connectContinuation = nil
            c.resume(throwing: error)
        }
        // Held writes first: they were sent before everything still in flight.
        let sent = heldWrites + Array(inflight)
        let unsent = Array(pending) + late
        heldWrites.removeAll()
        inflight.removeAll()
        pending.removeAll()
        inflightCount.store(0, ordering: .relaxed)
        waitingCount.store(0, ordering: .relaxed)
        for r in sent { complete(r, error: error.with(query: r.sql)) }
        for r in unsent { complete(r, error: error.with(query: r.sql).notSent()) }
        cancelHandle = nil  // freed when a cancel still being sent on a cancel thread is done with it
        cancelOutstanding = false
        logger.debug("connection closed", metadata: ["reason": "\(error.code)"])
        onClose?(error)
    }

    /// The connection's last libpq error message, without trailing newline, passwords redacted.
    func lastErrorMessage() -> String {
        guard let conn, let p = PQerrorMessage(conn) else { return "unknown libpq error" }
        let raw = String(cString: p).trimmingTrailingWhitespace()
        return Redaction.redact(raw, secrets: configuration.secrets)
    }
}

/// An asynchronous notification received on a connection that ran `LISTEN`.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel name.
    public var channel: String
    /// The payload (empty when none was given).
    public var payload: String
    /// The process id of the notifying backend.
    public var backendPID: Int32
}

extension PostgresError {
    func with(query: String) -> PostgresError {
        var e = self
        if e.query == nil { e.query = query }
        return e
    }

    /// The same error, for a statement that never reached the server.
    func notSent() -> PostgresError {
        var e = self
        e.statementNotSent = true
        return e
    }
}

/// libpq's cancel object. `PQcancel` runs on a cancel thread (``BlockingThreads/cancels``) and may still
/// use it after the connection closed, so it is freed when the last user lets go.
// @unchecked Sendable: the pointer is immutable; libpq documents PQcancel as safe to call from any thread,
// and PQfreeCancel runs once, in deinit, after every user released it.
final class CancelHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init?(_ conn: OpaquePointer) {
        guard let p = PQgetCancel(conn) else { return nil }
        pointer = p
    }

    deinit { PQfreeCancel(pointer) }
}
