extension PostgresPool: PostgresQueryable {
    /// Runs one statement on a pooled connection, pipelined beside other callers' statements (a shared
    /// lease), and returns its rows. An error in another caller's statement never affects this one.
    ///
    /// When the connection breaks under the statement (the server restarted, or terminated the backend),
    /// the statement runs again on another connection if that cannot repeat an effect: it never reached
    /// the server (``PostgresError/statementNotSent``), or it is marked read-only
    /// (``PostgresQuery/isReadOnly``); again and again until a connection holds or the deadline passes
    /// (`timeout`, then the call throws `timeout`; else ``Configuration/acquireTimeout`` from the first
    /// failure, then the last connection error).
    /// Otherwise the error is thrown: the statement may have run. A statement refused because the server
    /// only takes reads (SQLSTATE 25006: a standby, or a primary demoted after a failover) closes that
    /// connection and runs again on a new one, the same way.
    ///
    /// Transaction control does not belong here: `BEGIN` and `START TRANSACTION` are refused with
    /// `unsupportedStatement` (the transaction would take in other callers' statements); use
    /// ``withTransaction(isolation:readOnly:deferrable:callerIsolation:_:)``.
    ///
    /// - Parameters:
    ///   - query: the statement, its interpolated values bound as parameters.
    ///   - timeout: bounds the whole call, waiting for a connection included; when it passes the call
    ///     throws `timeout` (and the statement is cancelled on the server).
    /// - Throws: ``PostgresError``: `unsupportedStatement` for `BEGIN`/`START`, `poolExhausted` after
    ///   ``Configuration/acquireTimeout``, `queueFull`,
    ///   `poolShutdown`, `cancelled`, `timeout`, and what ``PostgresConnection/query(_:timeout:)`` throws.
    @discardableResult
    nonisolated(nonsending) public func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
        try PostgresConnection.validate(query)
        if PostgresQuery.startsTransaction(query.sql) {
            throw PostgresError(
                code: .unsupportedStatement,
                message: "a transaction cannot start on a shared pooled connection; use withTransaction",
                query: query.sql)
        }
        let clock = dependencies.clock
        let deadline = timeout.map { clock.now + $0 }
        // Read-only queries pack (up to `packingDepth` per connection) into read-only groups, and so do
        // writes that may share a commit (see PostgresConfiguration.groupsWrites): fewer, larger groups.
        let writes = !query.isReadOnly && connectionConfiguration.groupsWrites && PostgresQuery.isGroupableWrite(query.sql)
        let packs = query.isReadOnly || writes
        var retries = 0
        var retryUntil = deadline
        while true {
            let leased = try await acquire(.shared, timeout: deadline.map { max(.zero, $0 - clock.now) }, packs: packs, writes: writes)
            metrics.depth.record(leased.leased.lease.depth)
            do {
                let rows = try await leased.leased.connection.queryValidated(query, timeout: leased.remaining)
                // One clock reading serves the release and the query's duration (measured from the lease).
                let now = clock.nowNanoseconds
                release(leased.leased, now: .nanoseconds(now))
                metrics.query.recordNanoseconds(now &- leased.at)
                return rows
            } catch let error as PostgresError {
                // A broken connection is not handed out again (its close may not have been seen yet), and
                // neither is one whose server turned out read-only for a statement that writes (a standby,
                // or a primary demoted under it): closing it makes the pool connect again, which finds the
                // primary (see init's target_session_attrs).
                let readOnlyServer = Self.refusedAsReadOnly(error, query: query)
                let broken = error.code == .connection || error.code == .connectionClosed || error.code == .closed
                    || readOnlyServer
                release(leased.leased, reusable: !broken)
                // The connection broke under the statement: run it again on another connection when that
                // cannot repeat an effect (it never reached the server, or it only reads), until it runs on
                // a healthy connection or its deadline passes: the caller's timeout, else the acquire
                // timeout counted from the first failure. When the server restarted, every connection of
                // the pool broke in the same moment, so the next one tried may be just as dead: the pool
                // sees it closed and opens a new one (each retry waits for a connection, so a server that
                // kills every connection at once costs a connect per retry, not a busy loop).
                if Self.isRetryable(error, query: query) || readOnlyServer {
                    let now = clock.now
                    if retryUntil == nil { retryUntil = now + configuration.acquireTimeout }
                    if let until = retryUntil, now < until {
                        retries += 1
                        logger.debug(
                            "retrying a statement after its connection broke",
                            metadata: ["error.code": "\(error.code)", "psql.retries": "\(retries)"])
                        continue
                    }
                    if let timeout, deadline != nil {
                        // The caller's own deadline ended the retries: that is a timeout.
                        let timedOut = PostgresError(
                            code: .timeout,
                            message: "timed out after \(timeout.readable): the statement ran \(retries + 1) times and its connection broke each time (last: \(error.code))",
                            query: query.sql)
                        metrics.error(timedOut)
                        throw timedOut
                    }
                }
                metrics.error(error)
                throw error
            } catch {
                release(leased.leased)
                metrics.error(error)
                throw error
            }
        }
    }

    /// Whether the server refused a statement not marked read-only because it only takes reads (SQLSTATE
    /// 25006 outside a transaction: nothing ran, so it may run again on another connection). A statement
    /// marked read-only that writes gets 25006 from its read-only group's guard: the caller's mistake.
    static func refusedAsReadOnly(_ error: PostgresError, query: PostgresQuery) -> Bool {
        error.sqlState == "25006" && !query.isReadOnly
    }

    /// Whether a statement that failed with `error` may run again elsewhere: its connection broke or
    /// closed (the pool may hand out a connection whose death it has not seen yet), and either it never
    /// reached the server or it was marked read-only.
    static func isRetryable(_ error: PostgresError, query: PostgresQuery) -> Bool {
        switch error.code {
        case .connection, .connectionClosed: error.statementNotSent || query.isReadOnly
        case .closed: error.statementNotSent || query.isReadOnly
        default: false
        }
    }

    /// Runs a multi-statement script (simple query protocol, nothing bound) on a connection of its own
    /// (an exclusive lease).
    public func execute(script: String, timeout: Duration?) async throws {
        try await withConnection(timeoutForAcquire: timeout) { connection in
            try await connection.execute(script: script, timeout: timeout)
        }
    }

    /// Runs `body` with a connection no one else uses meanwhile (an exclusive lease). A transaction
    /// `body` leaves open is rolled back before the connection serves anyone else; a connection still
    /// busy (work escaped `body`) is closed instead.
    ///
    /// - Throws: what `body` throws, or a ``PostgresError`` while acquiring (`poolExhausted`, `queueFull`,
    ///   `poolShutdown`, `cancelled`).
    @discardableResult
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(timeoutForAcquire: nil, body)
    }

    func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        timeoutForAcquire: Duration?,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let leased = try await acquire(.exclusive, timeout: timeoutForAcquire).leased
        let result: Result<T, any Error>
        do {
            result = .success(try await body(leased.connection))
        } catch {
            metrics.error(error)
            result = .failure(error)
        }
        let reusable = await leased.connection.resetAfterExclusiveUse()
        if !reusable { logger.debug("connection not reusable after exclusive use; closing it") }
        release(leased, reusable: reusable)
        return try result.get()
    }

    /// `SELECT pg_notify(channel, payload)`: both values are bound, never pasted into the SQL.
    public func notify(channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Subscribes to `channel` (`LISTEN`, on the pool's dedicated notification connection, which
    /// re-issues `LISTEN` after reconnecting). Returns once the server listens, so a `NOTIFY` sent after
    /// this returns is delivered. Ending the iteration unsubscribes.
    ///
    /// - Throws: `encoding` for an empty channel name, `poolShutdown`, connection errors.
    public func listen(channel: String) async throws -> PostgresNotifications {
        guard state.withLock({ $0.machine.isRunning }) else {
            throw PostgresError(code: .poolShutdown, message: "the pool is shutting down")
        }
        return try await listener.subscribe(channel)
    }

    /// An acquired lease: the lease, what is left of the caller's timeout, and the pool clock's time when
    /// the lease came (nanoseconds). A struct, not a tuple: copies of a tuple with references in it went
    /// through the runtime's generic tuple copy.
    struct Acquired {
        var leased: Leased
        var remaining: Duration?
        var at: Int64
    }

    /// A lease that came at once, or the request waiting for one.
    enum Acquisition {
        case ready(Acquired)
        case waiting(Waiting)
    }

    /// A queued lease request: what ``finishAcquire(_:)`` needs to wait for it and account for the wait.
    struct Waiting {
        let id: Machine.RequestID
        let deadline: Duration
        let timeout: Duration?
        let startNanoseconds: Int64
    }

    /// Acquires a lease within the acquire timeout (or `timeout`, when shorter); returns what is left of
    /// `timeout` for the statement, and the pool clock's time when the lease came, in nanoseconds.
    /// Inlined into its callers, so that an immediate lease (the usual case) costs no async call: only a
    /// queued request is awaited.
    @inline(__always)
    nonisolated(nonsending) func acquire(
        _ kind: PoolStateMachine.LeaseKind, timeout: Duration?, packs: Bool = true, writes: Bool = false
    ) async throws -> Acquired {
        switch try beginAcquire(kind, timeout: timeout, packs: packs, writes: writes) {
        case .ready(let acquired): return acquired
        case .waiting(let waiting): return try await finishAcquire(waiting)
        }
    }

    /// Asks for a lease without suspending: granted at once (most calls), or queued.
    ///
    /// - Throws: what the pool refuses at once (`poolShutdown`, `queueFull`).
    func beginAcquire(
        _ kind: PoolStateMachine.LeaseKind, timeout: Duration?, packs: Bool, writes: Bool = false
    ) throws -> Acquisition {
        let startNanoseconds = dependencies.clock.nowNanoseconds
        let start = Duration.nanoseconds(startNanoseconds)
        let limit = timeout.map { min($0, configuration.acquireTimeout) } ?? configuration.acquireTimeout
        let deadline = start + limit
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
        guard let answer = requestLease(id, kind, deadline: deadline, packs: packs, writes: writes, now: start) else {
            return .waiting(Waiting(id: id, deadline: deadline, timeout: timeout, startNanoseconds: startNanoseconds))
        }
        switch answer {
        case .success(let leased):
            // A lease granted at once waited no time worth a second clock reading.
            metrics.acquire.recordNanoseconds(0)
            return .ready(Acquired(leased: leased, remaining: timeout, at: startNanoseconds))
        case .failure(let error):
            throw acquireFailed(error, timeout: timeout)
        }
    }

    /// Waits for a queued lease request (see ``beginAcquire(_:timeout:packs:writes:)``).
    nonisolated(nonsending) func finishAcquire(_ waiting: Waiting) async throws -> Acquired {
        // The deadline watcher starts before the first suspension, on the caller's executor.
        watchDeadline(waiting.deadline)
        do {
            let leased = try await waitForLease(waiting.id)
            let now = dependencies.clock.nowNanoseconds
            let waited = now &- waiting.startNanoseconds
            metrics.acquire.recordNanoseconds(waited)
            return Acquired(leased: leased, remaining: waiting.timeout.map { max(.zero, $0 - .nanoseconds(waited)) }, at: now)
        } catch let error as PostgresError {
            throw acquireFailed(error, timeout: waiting.timeout)
        }
    }

    /// The error an acquire throws, counted: `poolExhausted` becomes `timeout` when the caller's own
    /// timeout (no longer than the acquire timeout) is what ran out.
    private func acquireFailed(_ error: PostgresError, timeout: Duration?) -> PostgresError {
        var error = error
        if error.code == .poolExhausted, let timeout, timeout <= configuration.acquireTimeout {
            error = PostgresError(code: .timeout, message: "timed out after \(timeout.readable) waiting for a connection")
        }
        metrics.error(error)
        return error
    }
}
