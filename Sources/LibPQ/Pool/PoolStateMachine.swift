import DequeModule

/// The decisions of a ``PostgresPool``, as a pure value type: no locks, no I/O, no clock reads.
///
/// Each event (a lease request, a connection opened or lost, a lease released, time passing, a health
/// check's result, shutdown) mutates the state and returns the ``Action``s the pool must carry out after
/// releasing its lock. Every event carries the current time (a duration since the pool clock's origin), so
/// tests drive the machine synchronously and deterministically.
///
/// Leasing: a *shared* lease (one plain query) may share a connection with other shared leases up to
/// ``PostgresPool/Configuration/maximumPipelineDepth``; an *exclusive* lease (a transaction,
/// `withConnection`) pins a connection no one else uses until it is released. See ``leaseRequested(_:kind:now:deadline:)``.
@_spi(PoolInternals)
public struct PoolStateMachine: Sendable {
    public typealias ConnectionID = Int
    public typealias RequestID = Int

    /// How a caller uses a connection.
    public enum LeaseKind: Sendable, Hashable {
        /// One query, pipelined next to other callers' queries.
        case shared
        /// The whole connection, for as long as the lease is held.
        case exclusive
    }

    /// A connection handed to a request.
    public struct Lease: Sendable, Hashable {
        public var request: RequestID
        public var connection: ConnectionID
        public var kind: LeaseKind
        /// Shared leases on the connection including this one (1 for an exclusive lease).
        public var depth: Int
        /// Whether it was asked for a groupable write (counted in ``ConnectionSlot/writes``).
        public var writes: Bool

        public init(request: RequestID, connection: ConnectionID, kind: LeaseKind, depth: Int, writes: Bool = false) {
            self.request = request
            self.connection = connection
            self.kind = kind
            self.depth = depth
            self.writes = writes
        }
    }

    /// What the pool must do after an event.
    public enum Action: Sendable {
        /// Open a connection and report ``connectionEstablished(_:now:)`` or ``connectionFailed(_:error:now:random:)``.
        case createConnection(ConnectionID)
        /// Resume a waiting request with a connection.
        case lease(Lease)
        /// Resume a waiting request with an error.
        case failRequest(RequestID, PostgresError)
        /// Close a connection and report ``connectionClosed(_:now:)``.
        case closeConnection(ConnectionID)
        /// Run `SELECT 1` on an idle connection and report ``healthCheckFinished(_:healthy:now:)``.
        case runHealthCheck(ConnectionID)
        /// Shutdown is complete: no connection is left.
        case shutdownFinished
    }

    enum Phase: Sendable {
        case running, shuttingDown, shutDown
    }

    struct Waiter: Sendable {
        var id: RequestID
        var kind: LeaseKind
        var enqueued: Duration
        var deadline: Duration
        /// The event loop the caller runs on, if it runs on one of the pool's.
        var loop: Int?
        /// Whether the request may be packed (``PostgresPool/Configuration/packingDepth``).
        var packs: Bool
        /// Whether it is for a groupable write (it packs onto a write lane).
        var writes: Bool
    }

    let configuration: PostgresPool.Configuration
    private(set) var phase: Phase = .running
    /// Every connection the pool has asked for and not yet seen closed, oldest first.
    public internal(set) var connections: [ConnectionSlot] = []
    var waiters = Deque<Waiter>()
    private var nextConnectionID: ConnectionID = 1
    /// Consecutive failed connection attempts, and when the next attempt may start.
    private(set) var consecutiveFailures = 0
    private(set) var retryAt: Duration?
    private var lastConnectError: PostgresError?

    /// The number of event loops connections are spread over (``PostgresPool/Configuration/eventLoops``).
    let loopCount: Int

    public init(configuration: PostgresPool.Configuration) {
        self.configuration = configuration.normalized
        self.loopCount = max(1, self.configuration.eventLoops.count)
    }

    // MARK: Observations

    /// Connections open (not connecting, not closing).
    public var openConnections: Int { connections.count { $0.state == .open } }
    /// Connections with at least one lease.
    public var connectionsInUse: Int { connections.count { $0.state == .open && ($0.shared > 0 || $0.pinned) } }
    /// Connections being opened.
    public var connectingConnections: Int { connections.count { $0.state == .connecting } }
    /// Requests waiting for a connection.
    public var waiterCount: Int { waiters.count }
    /// Whether shutdown has finished.
    public var isShutDown: Bool { phase == .shutDown }
    /// Whether the pool still takes requests.
    public var isRunning: Bool { phase == .running }

    /// The earliest deadline of a waiting request, if any waits.
    public var earliestWaiterDeadline: Duration? {
        waiters.lazy.map(\.deadline).min()
    }

    /// The earliest time at which ``timeAdvanced(now:)`` has something to do, if any.
    public var nextDeadline: Duration? {
        guard phase == .running else { return nil }
        var deadline: Duration?
        func consider(_ d: Duration?) {
            guard let d else { return }
            deadline = deadline.map { min($0, d) } ?? d
        }
        for w in waiters { consider(w.deadline) }
        if retryAt != nil, wantsMoreConnections { consider(retryAt) }
        for c in connections where c.state == .open {
            if let lifetime = configuration.maximumConnectionLifetime, !c.expired { consider(c.openedAt + lifetime) }
            guard c.isIdle, !c.checking else { continue }
            if let idle = configuration.idleTimeout { consider(c.idleSince + idle) }
            if let interval = configuration.healthCheckInterval { consider(c.lastActivity + interval) }
        }
        return deadline
    }

    // MARK: Events

    /// A caller wants a connection.
    ///
    /// Shared: an idle connection if there is one; else the least-loaded open connection with room in its
    /// pipeline (and a new connection is opened in the background while under the maximum, so load spreads
    /// as the pool grows); else the request waits and enough connections are opened for the waiters.
    ///
    /// Exclusive: an idle connection, pinned; else a new connection while under the maximum; else the
    /// least-loaded connection is *reserved*: it takes no new shared work, and is handed over once its
    /// in-flight queries have drained.
    ///
    /// A request waits at most until `deadline`, then fails with `poolExhausted`; when
    /// ``PostgresPool/Configuration/maximumWaiters`` already wait, it fails at once with `queueFull`.
    ///
    /// `loop` is the event loop the caller runs on (an index into
    /// ``PostgresPool/Configuration/eventLoops``), if any. A connection of that loop is preferred at each
    /// step: a shared request takes one of its loop's connections under the packing depth, else any
    /// connection under it, else the least-loaded connection of its loop with room, else any with room.
    /// A connection opened for the caller goes to its loop while that loop holds less than its share of
    /// ``PostgresPool/Configuration/maximumConnections`` (the maximum divided by the number of loops,
    /// rounded down, at least 1); a caller that borrowed another loop's connection has one opened for
    /// its own loop on those terms.
    ///
    /// `packs` false (a statement that cannot join a group) spreads a shared request as a
    /// ``PostgresPool/Configuration/packingDepth`` of 1 would. `writes` true (a groupable write, which
    /// packs) prefers a connection already carrying writes, then an idle one; a packing request that does
    /// not write prefers connections carrying none.
    public mutating func leaseRequested(
        _ id: RequestID, kind: LeaseKind, now: Duration, deadline: Duration, loop: Int? = nil, packs: Bool = true,
        writes: Bool = false
    ) -> [Action] {
        var actions: [Action] = []
        leaseRequested(
            id, kind: kind, now: now, deadline: deadline, loop: loop, packs: packs, writes: writes, into: &actions)
        return actions
    }

    /// ``leaseRequested(_:kind:now:deadline:loop:packs:writes:)`` appending its actions to `actions`: the pool
    /// passes a list it keeps, so a lease granted at once allocates no array.
    mutating func leaseRequested(
        _ id: RequestID, kind: LeaseKind, now: Duration, deadline: Duration, loop: Int?, packs: Bool,
        writes: Bool = false, into actions: inout [Action]
    ) {
        guard phase == .running else {
            actions.append(.failRequest(id, PostgresError(code: .poolShutdown, message: "the pool is shutting down")))
            return
        }
        let loop = loop.flatMap { (0..<loopCount).contains($0) ? $0 : nil }
        // The server refused the last attempt for good (wrong password, no such database) and no
        // connection is open: until the backoff allows the next attempt, answer with that error at once
        // instead of waiting for the whole acquire timeout. A request after the backoff waits for the next
        // attempt (so a fixed password is picked up, and the server sees one attempt per backoff delay).
        if openConnections == 0, let error = lastConnectError, error.isPermanentConnectFailure,
            let retryAt, now < retryAt
        {
            actions.append(.failRequest(id, error))
            return
        }
        // Never overtake a waiter of the same kind: it would have been served if it could.
        if !waiters.contains(where: { $0.kind == kind }), let index = place(kind, loop: loop, packs: packs, writes: writes) {
            let full = connections[index].shared >= packing(packs)
            let borrowed = loop.map { connections[index].loop != $0 && loopHasRoom($0) } ?? false
            actions.append(.lease(grant(id, kind: kind, at: index, writes: writes)))
            // A write that had to join a lone committing write (no idle connection): open one, if the pool
            // may, so that the next lone write commits at once there (see `Lane`).
            let joinedLoneWrite = writes && packs && connections[index].writes == 2
            if kind == .shared, full || borrowed || joinedLoneWrite { actions += growIfUseful(now: now, loop: loop) }
            return
        }
        guard waiters.count < configuration.maximumWaiters else {
            actions.append(
                .failRequest(
                    id,
                    PostgresError(
                        code: .queueFull,
                        message: "\(waiters.count) requests already wait for a connection (maximumWaiters)")))
            return
        }
        waiters.append(Waiter(id: id, kind: kind, enqueued: now, deadline: deadline, loop: loop, packs: packs, writes: writes))
        actions += rebalance(now: now)
    }

    /// A waiting caller gave up (its task was cancelled). Fails it with `cancelled` if it still waits.
    public mutating func requestCancelled(_ id: RequestID, now: Duration) -> [Action] {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return [] }
        waiters.remove(at: i)
        var actions: [Action] = [
            .failRequest(id, PostgresError(code: .cancelled, message: "cancelled while waiting for a connection"))
        ]
        actions += rebalance(now: now)
        return actions
    }

    /// A caller is done with its lease. `reusable` is false when the connection must not serve anyone
    /// else (for example a transaction could not be ended).
    public mutating func leaseReleased(_ lease: Lease, reusable: Bool = true, now: Duration) -> [Action] {
        guard let i = index(of: lease.connection) else { return [] }  // closed meanwhile
        switch lease.kind {
        case .shared:
            connections[i].shared = max(0, connections[i].shared - 1)
            if lease.writes { connections[i].writes = max(0, connections[i].writes - 1) }
        case .exclusive: connections[i].pinned = false
        }
        connections[i].lastActivity = now
        var actions: [Action] = []
        if !reusable {
            actions += close(at: i)
        } else if connections[i].isIdle {
            connections[i].idleSince = now
            if phase != .running || connections[i].expired { actions += close(at: i) }
        }
        actions += dispatch(now: now)
        return actions
    }

    /// A connection asked for by ``Action/createConnection(_:)`` is open.
    public mutating func connectionEstablished(_ id: ConnectionID, now: Duration) -> [Action] {
        guard let i = index(of: id) else { return [.closeConnection(id)] }
        consecutiveFailures = 0
        retryAt = nil
        lastConnectError = nil
        connections[i].state = .open
        connections[i].openedAt = now
        connections[i].lastActivity = now
        connections[i].idleSince = now
        if phase != .running { return close(at: i) }
        return dispatch(now: now)
    }

    /// Opening a connection failed. The next attempt waits for the backoff delay.
    ///
    /// After a transient failure (refused, reset, timed out, too many connections) waiters keep waiting
    /// until their deadline, as the server may come back. After a permanent one
    /// (``PostgresError/isPermanentConnectFailure``: a wrong password, a missing database or role, a
    /// certificate that does not verify) with no connection open, every waiter fails at once with that
    /// error, and so do new requests until the backoff allows the next attempt. `random` is a number in
    /// `0..<1` for the jitter.
    public mutating func connectionFailed(
        _ id: ConnectionID, error: PostgresError, now: Duration, random: Double
    ) -> [Action] {
        connections.removeAll { $0.id == id }
        lastConnectError = error
        guard phase == .running else { return finishShutdownIfDone() }
        consecutiveFailures += 1
        retryAt = now + configuration.reconnectBackoff.delay(afterFailures: consecutiveFailures, random: random)
        var actions: [Action] = []
        if error.isPermanentConnectFailure, openConnections == 0 {
            actions = waiters.map { .failRequest($0.id, error) }
            waiters.removeAll()
        }
        return actions + rebalance(now: now)
    }

    /// A connection is gone: closed by the pool, by the server, or broken.
    public mutating func connectionClosed(_ id: ConnectionID, now: Duration) -> [Action] {
        guard let i = index(of: id) else { return [] }
        connections.remove(at: i)
        if phase != .running { return finishShutdownIfDone() }
        return rebalance(now: now)
    }

    /// The result of ``Action/runHealthCheck(_:)``.
    public mutating func healthCheckFinished(_ id: ConnectionID, healthy: Bool, now: Duration) -> [Action] {
        guard let i = index(of: id) else { return [] }
        connections[i].checking = false
        connections[i].lastActivity = now
        if !healthy || phase != .running || connections[i].expired { return close(at: i) + rebalance(now: now) }
        return dispatch(now: now)
    }

    /// Time passed: fail waiters past their deadline, retire expired and idle connections, start health
    /// checks, retry connecting after a backoff, keep the minimum number of connections.
    public mutating func timeAdvanced(now: Duration) -> [Action] {
        guard phase == .running else { return [] }
        var actions: [Action] = []
        while let i = waiters.firstIndex(where: { $0.deadline <= now }) {
            let w = waiters.remove(at: i)
            actions.append(.failRequest(w.id, exhaustedError(waited: now - w.enqueued)))
        }
        var i = 0
        while i < connections.count {
            let c = connections[i]
            i += 1
            guard c.state == .open else { continue }
            if let lifetime = configuration.maximumConnectionLifetime, now >= c.openedAt + lifetime {
                connections[i - 1].expired = true
            }
            guard connections[i - 1].isIdle, !c.checking else { continue }
            if connections[i - 1].expired {
                actions += close(at: i - 1)
                continue
            }
            if let idle = configuration.idleTimeout, now >= c.idleSince + idle,
                openConnections > configuration.minimumConnections
            {
                actions += close(at: i - 1)
                continue
            }
            if let interval = configuration.healthCheckInterval, now >= c.lastActivity + interval {
                connections[i - 1].checking = true
                actions.append(.runHealthCheck(c.id))
            }
        }
        actions += rebalance(now: now)
        return actions
    }

    /// Stop taking requests: waiters fail with `poolShutdown`, idle connections close now, leased ones
    /// when released, connections being opened when they open. ``Action/shutdownFinished`` comes when
    /// none is left.
    public mutating func shutdown(now: Duration) -> [Action] {
        guard phase == .running else { return [] }
        phase = .shuttingDown
        var actions: [Action] = waiters.map {
            .failRequest($0.id, PostgresError(code: .poolShutdown, message: "the pool is shutting down"))
        }
        waiters.removeAll()
        for i in connections.indices where connections[i].state == .open && connections[i].isIdle && !connections[i].checking {
            actions += close(at: i)
        }
        actions += finishShutdownIfDone()
        return actions
    }

    // MARK: Internals

    private func index(of id: ConnectionID) -> Int? { connections.firstIndex { $0.id == id } }

    private mutating func grant(_ id: RequestID, kind: LeaseKind, at i: Int, writes: Bool = false) -> Lease {
        let writes = writes && kind == .shared
        switch kind {
        case .shared:
            connections[i].shared += 1
            if writes { connections[i].writes += 1 }
        case .exclusive:
            connections[i].pinned = true
            connections[i].reserved = false
        }
        return Lease(request: id, connection: connections[i].id, kind: kind, depth: max(1, connections[i].shared), writes: writes)
    }

    /// Serves waiters in arrival order wherever they fit, then rebalances.
    private mutating func dispatch(now: Duration) -> [Action] {
        var actions: [Action] = []
        if phase == .running {
            var i = 0
            while i < waiters.count {
                if let c = place(waiters[i].kind, loop: waiters[i].loop, packs: waiters[i].packs, writes: waiters[i].writes) {
                    let w = waiters.remove(at: i)
                    actions.append(.lease(grant(w.id, kind: w.kind, at: c, writes: w.writes)))
                } else {
                    i += 1
                }
            }
        }
        actions += rebalance(now: now)
        return actions
    }

    private var inBackoff: Bool { consecutiveFailures > 0 }

    private var wantsMoreConnections: Bool {
        !waiters.isEmpty || connections.count < configuration.minimumConnections
    }

    /// A shared request landed on a busy connection: open one more in the background if allowed.
    private mutating func growIfUseful(now: Duration, loop: Int?) -> [Action] {
        guard connectingConnections == 0, connections.count < configuration.maximumConnections,
            retryAt.map({ now >= $0 }) ?? true
        else { return [] }
        return [startConnection(preferring: loop)]
    }

    /// Opens as many connections as waiters need (and the minimum), reserves connections for exclusive
    /// waiters when no more can be opened, and releases reservations no one needs any more.
    private mutating func rebalance(now: Duration) -> [Action] {
        guard phase == .running else { return finishShutdownIfDone() }
        var actions: [Action] = []
        let exclusive = waiters.count { $0.kind == .exclusive }
        let shared = waiters.count - exclusive
        let depth = configuration.maximumPipelineDepth
        var reserved = connections.count { $0.reserved }
        // Release reservations beyond the exclusive waiters (a waiter timed out or was cancelled).
        while reserved > exclusive, let i = connections.lastIndex(where: { $0.reserved }) {
            connections[i].reserved = false
            reserved -= 1
        }
        // Open connections for demand not already covered.
        let demand = max(0, exclusive - reserved) + (shared + depth - 1) / depth
        let connecting = connectingConnections
        var wanted = max(demand - connecting, configuration.minimumConnections - connections.count)
        wanted = min(wanted, configuration.maximumConnections - connections.count)
        if let retryAt {
            if now < retryAt { wanted = 0 } else if inBackoff { wanted = min(wanted, connecting == 0 ? 1 : 0) }
        }
        for _ in 0..<max(0, wanted) { actions.append(startConnection(preferring: loopWaitersNeedMost())) }
        // Exclusive waiters no new connection covers: reserve busy connections, least loaded first.
        var uncovered = exclusive - reserved - connectingConnections
        while uncovered > 0 {
            let candidates = connections.indices.filter {
                let c = connections[$0]
                return c.state == .open && !c.pinned && !c.reserved && !c.expired
            }
            guard let i = candidates.min(by: { connections[$0].shared < connections[$1].shared }) else { break }
            connections[i].reserved = true
            uncovered -= 1
        }
        return actions
    }

    private mutating func startConnection(preferring loop: Int?) -> Action {
        let id = nextConnectionID
        nextConnectionID += 1
        var slot = ConnectionSlot(id: id)
        slot.loop = loopForNewConnection(preferring: loop)
        connections.append(slot)
        return .createConnection(id)
    }

    private mutating func close(at i: Int) -> [Action] {
        guard connections[i].state != .closing else { return [] }
        connections[i].state = .closing
        connections[i].reserved = false
        return [.closeConnection(connections[i].id)]
    }

    private mutating func finishShutdownIfDone() -> [Action] {
        guard phase == .shuttingDown, connections.isEmpty else { return [] }
        phase = .shutDown
        return [.shutdownFinished]
    }

    private func exhaustedError(waited: Duration) -> PostgresError {
        var message = "no connection became available within \(waited.readable)"
        if openConnections == 0, let e = lastConnectError {
            message += "; the last connection attempt failed: \(e.code): \(e.message)"
        }
        return PostgresError(code: .poolExhausted, message: message)
    }
}
