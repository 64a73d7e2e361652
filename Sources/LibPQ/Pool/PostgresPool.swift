public import Logging
public import ServiceLifecycle
import Synchronization

/// A pool of PostgreSQL connections that pipelines concurrent queries automatically.
///
/// Plain ``query(_:timeout:)`` calls take *shared* leases: up to
/// ``Configuration/maximumPipelineDepth`` of them share one connection's pipeline, so 64 concurrent
/// callers need only a handful of connections. ``withConnection(isolation:_:)`` and
/// ``withTransaction(isolation:readOnly:deferrable:callerIsolation:_:)`` take *exclusive* leases: the
/// connection is pinned, and no other caller's query enters it until the lease ends.
///
/// The pool is a swift-service-lifecycle `Service`: ``run()`` runs its maintenance (idle timeout,
/// lifetime, health checks, reconnect backoff, minimum connections) and, on graceful shutdown or task
/// cancellation, stops taking work (``PostgresError/Code/poolShutdown``), lets leased work finish, closes
/// every connection and returns.
///
/// **Before `run()`** the pool still works: connections are opened on demand, acquire timeouts apply
/// (each waiting caller enforces its own), and a connection lost is replaced when demand needs it. What
/// needs `run()` is time-driven maintenance: idle timeout, lifetime, health checks, keeping the minimum,
/// and retrying a failed connect after its backoff while no new request arrives (a waiting caller whose
/// deadline passes also advances the pool's time, so some of it happens then too). Without `run()`, call
/// ``shutdown()`` to close the pool.
///
/// Design: a pure state machine (`PoolStateMachine`) under a `Mutex`; the actions it returns run after the lock is
/// released. No task is started in `init`.
public final class PostgresPool: Service, Sendable {
    typealias Machine = PoolStateMachine
    typealias Lease = PoolStateMachine.Lease

    /// A lease with its connection.
    struct Leased: Sendable {
        var lease: Lease
        var connection: PostgresConnection
    }

    struct State: ~Copyable {
        var machine: Machine
        var connections: [Machine.ConnectionID: PostgresConnection] = [:]
        var waiting: [Machine.RequestID: CheckedContinuation<Leased, any Error>] = [:]
        /// Outcomes that arrived before their caller started waiting.
        var early: [Machine.RequestID: Result<Leased, PostgresError>] = [:]
        var runState = RunState.idle
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
        /// The maintenance loop's wake-up: when it sleeps, until when.
        var sleeper: CheckedContinuation<Void, Never>?
        var sleepTarget: Duration?
        var wakePending = false
        var lastSnapshot: PoolMetrics.Snapshot?
        /// How many snapshots were taken (``PoolMetrics/Published/sequence``).
        var snapshotSequence: UInt64 = 0
        /// What the deadline watchers sleep until (empty when no waiter waits).
        var deadlineWatcherTargets: [Duration] = []
        /// The list a lease request's actions are collected in, kept (emptied) between requests so that
        /// a lease granted at once allocates nothing.
        var actionBuffer: [Machine.Action] = []
    }

    enum RunState { case idle, running, finished }

    /// An action resolved under the lock, to run after it.
    enum Effect {
        /// Open a connection on the event loop with this index (``Configuration/eventLoops``).
        case connect(Machine.ConnectionID, loop: Int)
        case resume(CheckedContinuation<Leased, any Error>, Result<Leased, PostgresError>)
        case close(Machine.ConnectionID, PostgresConnection?)
        case healthCheck(Machine.ConnectionID, PostgresConnection)
        case finished([CheckedContinuation<Void, Never>])
        case wake(CheckedContinuation<Void, Never>)
    }

    /// What one event's actions left to do after the lock: the effects, in order, then the metrics
    /// snapshot when it changed.
    struct Effects {
        var list: [Effect] = []
        var snapshot: PoolMetrics.Published? = nil
    }

    /// The pool's options.
    public let configuration: Configuration
    /// How each connection connects.
    public let connectionConfiguration: PostgresConfiguration
    let logger: Logger
    let dependencies: PoolDependencies
    let metrics: PoolMetrics
    let state: Mutex<State>
    let requestIDs = Atomic<Int>(0)
    let listener: NotificationListener

    /// Creates a pool. Nothing connects until the first request or ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: pool options.
    ///   - connection: how to connect (its `connectTimeout` is replaced by the pool's).
    ///   - label: the `pool` dimension of the pool's metrics and `psql.pool` in its log metadata.
    ///   - logger: where the pool and its connections log (`debug`/`trace`, `warning` for real problems).
    public convenience init(
        configuration: Configuration = Configuration(),
        connection: PostgresConfiguration,
        label: String = "default",
        logger: Logger = Logger(label: "LibPQ.Pool", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.init(
            configuration: configuration, connection: connection, label: label, logger: logger,
            dependencies: .live)
    }

    /// Creates a pool with injected clock, connection factory and jitter source (for tests).
    @_spi(PoolInternals)
    public init(
        configuration: Configuration, connection: PostgresConfiguration, label: String, logger: Logger,
        dependencies: PoolDependencies
    ) {
        let configuration = configuration.normalized
        var connection = connection
        connection.connectTimeout = configuration.connectTimeout
        // Room for the pool's own statements (health check, ROLLBACK) beside the shared leases.
        connection.maximumPipelineDepth = max(connection.maximumPipelineDepth, configuration.maximumPipelineDepth + 2)
        // Several hosts (a primary and its standbys) and no choice made: the pool writes, and LISTEN only
        // works on a primary, so connect to the one that takes writes (libpq's default, `any`, would take
        // the first that answers, a standby included). Reading pools say `standby` or `prefer-standby`.
        if connection["target_session_attrs"] == nil, connection["host"]?.contains(",") == true
            || connection["hostaddr"]?.contains(",") == true
        {
            connection["target_session_attrs"] = "read-write"
        }
        var logger = logger
        logger[metadataKey: "psql.pool"] = "\(label)"
        self.configuration = configuration
        self.connectionConfiguration = connection
        self.logger = logger
        self.dependencies = dependencies
        self.metrics = PoolMetrics(label: label)
        self.state = Mutex(State(machine: Machine(configuration: configuration)))
        let factory = dependencies.factory
        let listenerConfiguration = connection
        let listenerLogger = logger
        self.listener = NotificationListener(
            backoff: configuration.reconnectBackoff, logger: logger,
            connect: { try await factory.makeConnection(configuration: listenerConfiguration, logger: listenerLogger) })
    }

    // MARK: Service

    /// Runs maintenance until graceful shutdown or cancellation, then shuts the pool down: new requests
    /// fail with `poolShutdown`, waiting ones too, leased work finishes, every connection is closed.
    /// Returns when the last connection is closed. Calling it again after it returned does nothing.
    public func run() async throws {
        let start = state.withLock { s -> Bool in
            guard s.runState == .idle, s.machine.isRunning else { return false }
            s.runState = .running
            return true
        }
        guard start else {
            logger.debug("run() called on a pool that runs or ran already")
            return
        }
        logger.debug("pool running", metadata: ["psql.pool.max": "\(configuration.maximumConnections)"])
        handle { $0.timeAdvanced(now: $1) }
        await withTaskCancellationOrGracefulShutdownHandler {
            await maintenanceLoop()
        } onCancelOrGracefulShutdown: {
            self.beginShutdown()
        }
        beginShutdown()
        await waitUntilShutDown()
        state.withLock { $0.runState = .finished }
        logger.debug("pool shut down")
    }

    /// Shuts the pool down (for use without swift-service-lifecycle): new requests fail with
    /// `poolShutdown`, leased work finishes, connections close. Returns when all are closed.
    public func shutdown() async {
        beginShutdown()
        await waitUntilShutDown()
    }

    func beginShutdown() {
        handle { $0.shutdown(now: $1) }
        wakeMaintenance()
        let listener = listener
        Task { await listener.close() }
    }

    private func waitUntilShutDown() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.machine.isShutDown { return true }
                s.shutdownWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
        await listener.close()
    }

    /// Sleeps until the machine's next deadline (or a wake-up), then tells it the time.
    private func maintenanceLoop() async {
        let clock = dependencies.clock
        while !Task.isCancelled {
            let target: Duration? = state.withLock { s in
                guard s.machine.isRunning else { return nil }
                let t = s.machine.nextDeadline ?? clock.now + .seconds(3600)
                s.sleepTarget = t
                return t
            }
            guard let target else { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await clock.sleep(until: target) }
                group.addTask { await self.waitForWake() }
                await group.next()
                // Cancelling the wake-up child resumes it (its cancellation handler); no explicit wake
                // here, or a stale pending wake would make every later iteration spin.
                group.cancelAll()
            }
            state.withLock { $0.sleepTarget = nil }
            handle { $0.timeAdvanced(now: $1) }
        }
    }

    private func waitForWake() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.wakePending {
                        s.wakePending = false
                        return true
                    }
                    s.sleeper = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.wakeMaintenance()
        }
    }

    private func wakeMaintenance() {
        let sleeper = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let c = s.sleeper else {
                s.wakePending = true
                return nil
            }
            s.sleeper = nil
            return c
        }
        sleeper?.resume()
    }

    // MARK: Events and effects

    /// Feeds one event to the state machine under the lock, then carries out its actions.
    func handle(now: Duration? = nil, _ event: (inout Machine, Duration) -> [Machine.Action]) {
        let now = now ?? dependencies.clock.now
        let effects = state.withLock { s in
            let actions = event(&s.machine, now)
            return Self.resolve(actions, in: &s)
        }
        perform(effects)
    }

    /// Turns actions into effects, taking what they need from the locked state.
    static func resolve(_ actions: [Machine.Action], in s: inout State) -> Effects {
        var unused: Result<Leased, PostgresError>?
        return resolve(actions, in: &s, requester: nil, answer: &unused)
    }

    /// Turns actions into effects; the answer for `requester` (a request being made under this same
    /// lock, so nobody waits for it yet) goes to `answer` instead.
    static func resolve(
        _ actions: [Machine.Action], in s: inout State, requester: Machine.RequestID?,
        answer: inout Result<Leased, PostgresError>?
    ) -> Effects {
        var effects: [Effect] = []
        func deliver(_ id: Machine.RequestID, _ result: Result<Leased, PostgresError>) {
            if id == requester {
                answer = result
            } else if let c = s.waiting.removeValue(forKey: id) {
                effects.append(.resume(c, result))
            } else {
                s.early[id] = result
            }
        }
        for action in actions {
            switch action {
            case .createConnection(let id):
                effects.append(.connect(id, loop: s.machine.connections.first { $0.id == id }?.loop ?? 0))
            case .lease(let lease):
                if let connection = s.connections[lease.connection] {
                    deliver(lease.request, .success(Leased(lease: lease, connection: connection)))
                } else {
                    deliver(lease.request, .failure(PostgresError(code: .connectionClosed, message: "the connection closed")))
                }
            case .failRequest(let id, let error):
                deliver(id, .failure(error))
            case .closeConnection(let id):
                effects.append(.close(id, s.connections.removeValue(forKey: id)))
            case .runHealthCheck(let id):
                if let c = s.connections[id] { effects.append(.healthCheck(id, c)) }
            case .shutdownFinished:
                effects.append(.finished(s.shutdownWaiters))
                s.shutdownWaiters = []
            }
        }
        // Wake the maintenance loop when a deadline earlier than the one it sleeps until appeared.
        if let target = s.sleepTarget, let next = s.machine.nextDeadline, next < target {
            s.sleepTarget = nil
            if let c = s.sleeper {
                s.sleeper = nil
                effects.append(.wake(c))
            } else {
                s.wakePending = true  // the loop is about to sleep: it will not
            }
        }
        let snapshot = PoolMetrics.Snapshot(
            open: s.machine.openConnections, inUse: s.machine.connectionsInUse, waiters: s.machine.waiterCount)
        guard snapshot != s.lastSnapshot else { return Effects(list: effects) }
        s.lastSnapshot = snapshot
        s.snapshotSequence += 1
        return Effects(list: effects, snapshot: PoolMetrics.Published(snapshot: snapshot, sequence: s.snapshotSequence))
    }

    func perform(_ effects: Effects) {
        // A changed metrics snapshot travels beside the list, not in it: in use goes 0 -> 1 -> 0 around
        // every query at low concurrency, and an array for it alone cost an allocation per lease and release.
        defer { if let snapshot = effects.snapshot { metrics.record(snapshot) } }
        for effect in effects.list {
            switch effect {
            case .connect(let id, let loop):
                Task { await self.openConnection(id, loop: loop) }
            case .resume(let c, let result):
                c.resume(with: result.mapError { $0 as any Error })
            case .close(let id, let connection):
                Task {
                    await connection?.close()
                    self.handle { $0.connectionClosed(id, now: $1) }
                }
            case .healthCheck(let id, let connection):
                Task {
                    let healthy =
                        (try? await connection.queryIgnoringCancellation("SELECT 1", timeout: self.configuration.connectTimeout)) != nil
                    if !healthy { self.logger.debug("health check failed", metadata: ["psql.connection.id": "\(connection.id)"]) }
                    self.handle { $0.healthCheckFinished(id, healthy: healthy, now: $1) }
                }
            case .finished(let waiters):
                for w in waiters { w.resume() }
            case .wake(let c):
                c.resume()
            }
        }
    }

    private func openConnection(_ id: Machine.ConnectionID, loop: Int) async {
        do {
            var configuration = connectionConfiguration
            if self.configuration.eventLoops.indices.contains(loop) {
                configuration.eventLoop = self.configuration.eventLoops[loop]
            }
            let connection = try await dependencies.factory.makeConnection(configuration: configuration, logger: logger)
            let connectionID = connection.id  // not the connection: the handler must not keep it alive
            await connection.onClose { [weak self] in
                self?.logger.debug("pooled connection closed", metadata: ["psql.connection.id": "\(connectionID)"])
                self?.handle { $0.connectionClosed(id, now: $1) }
            }
            let now = dependencies.clock.now
            let effects = state.withLock { s in
                s.connections[id] = connection
                return Self.resolve(s.machine.connectionEstablished(id, now: now), in: &s)
            }
            perform(effects)
        } catch {
            let e = error as? PostgresError ?? PostgresError(code: .connection, message: "\(error)")
            logger.debug("pool could not connect", metadata: ["error.code": "\(e.code)", "error": "\(e.message)"])
            metrics.error(e)
            let random = dependencies.jitter()
            handle { $0.connectionFailed(id, error: e, now: $1, random: random) }
        }
    }

    // MARK: Leasing

    /// Feeds a lease request to the state machine: returns its outcome when it is decided at once (a lease,
    /// or a refusal), nil when the request waits in the queue (see ``waitForLease(_:deadline:)``).
    func requestLease(
        _ id: Machine.RequestID, _ kind: Machine.LeaseKind, deadline: Duration, packs: Bool, writes: Bool = false,
        now: Duration
    ) -> Result<Leased, PostgresError>? {
        let loop = currentLoop
        let (answer, effects) = state.withLock { s in
            var answer: Result<Leased, PostgresError>?
            // The kept list is taken out of the state while in use (no copy, and `s` stays free to change).
            var actions = s.actionBuffer
            s.actionBuffer = []
            s.machine.leaseRequested(
                id, kind: kind, now: now, deadline: deadline, loop: loop, packs: packs, writes: writes, into: &actions)
            let effects = Self.resolve(actions, in: &s, requester: id, answer: &answer)
            actions.removeAll(keepingCapacity: true)
            s.actionBuffer = actions
            return (answer, effects)
        }
        perform(effects)
        return answer
    }

    /// Makes sure a waiter's `deadline` is watched. The caller's deadline is enforced by the pool's deadline
    /// watcher (one task for all waiters), so acquire timeouts hold whether or not run() runs; a sleeping
    /// task per waiter would keep its timer, and memory, until the deadline even after the lease came.
    /// Starts a watcher when none sleeps until that deadline
    /// or earlier. Waiters with the same timeout arrive with ever later deadlines, so one watcher covers
    /// them all; a shorter per-call timeout starts a second one, which then covers the later short ones.
    func watchDeadline(_ deadline: Duration) {
        let start = state.withLock { s -> Bool in
            if let earliest = s.deadlineWatcherTargets.min(), earliest <= deadline { return false }
            s.deadlineWatcherTargets.append(deadline)
            return true
        }
        if start { Task { await self.deadlineWatcher(from: deadline) } }
    }

    /// Sleeps until `target`, fails the waiters past their deadline, then goes on with the earliest
    /// remaining waiter's deadline while no other watcher sleeps until an earlier one.
    private func deadlineWatcher(from first: Duration) async {
        let clock = dependencies.clock
        var target = first
        while true {
            try? await clock.sleep(until: target)
            let reached = target
            handle { machine, now in machine.timeAdvanced(now: max(now, reached)) }
            let next = state.withLock { s -> Duration? in
                if let i = s.deadlineWatcherTargets.firstIndex(of: reached) { s.deadlineWatcherTargets.remove(at: i) }
                guard let next = s.machine.earliestWaiterDeadline else { return nil }
                if let earliest = s.deadlineWatcherTargets.min(), earliest <= next { return nil }
                s.deadlineWatcherTargets.append(next)
                return next
            }
            guard let next else { return }
            target = next
        }
    }

    /// Waits for a queued lease request (see ``requestLease(_:_:deadline:packs:writes:now:)``). Its deadline is
    /// enforced by the pool's deadline watcher, which the caller starts first (``watchDeadline(_:)``).
    func waitForLease(_ id: Machine.RequestID) async throws -> Leased {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Leased, any Error>) in
                let early = state.withLock { s -> Result<Leased, PostgresError>? in
                    if let r = s.early.removeValue(forKey: id) { return r }
                    s.waiting[id] = c
                    return nil
                }
                if let early { c.resume(with: early.mapError { $0 as any Error }) }
            }
        } onCancel: {
            self.handle { $0.requestCancelled(id, now: $1) }
        }
    }

    /// The index of the pool's event loop the caller runs on, when the pool has several and the caller
    /// runs on one of them.
    var currentLoop: Int? {
        let loops = configuration.eventLoops
        guard loops.count > 1 else { return nil }
        return loops.firstIndex { $0.isCurrent }
    }

    /// Ends a lease. `now`, when the caller has just read the pool clock, saves reading it again.
    func release(_ leased: Leased, reusable: Bool = true, now: Duration? = nil) {
        handle(now: now) { $0.leaseReleased(leased.lease, reusable: reusable, now: $1) }
    }
}
