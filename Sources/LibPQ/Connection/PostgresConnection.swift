import CLibPQ
public import Logging

/// One PostgreSQL connection over libpq, driven without blocking.
///
/// Many tasks may use one connection at once: their queries share it through libpq's pipeline mode, each
/// with its own sync point, so one query's failure never fails another's. All libpq work runs on the
/// connection's event loop thread.
///
/// ```swift
/// let connection = try await PostgresConnection.connect(configuration: .init(url: "postgres://..."))
/// let rows = try await connection.query("SELECT id FROM session WHERE token = \(token)")
/// ```
///
/// `close()` frees everything; a connection that is dropped without `close()` is closed as well.
public final class PostgresConnection: Sendable {
    let core: ConnectionCore

    /// A process-unique number, also in the log metadata as `psql.connection.id`.
    public var id: Int { core.id }

    /// The event loop the connection runs on.
    public var eventLoop: PostgresEventLoop { PostgresEventLoop(loop: core.loop) }

    /// Whether the connection still takes queries.
    public var isOpen: Bool { core.isOpen.load(ordering: .acquiring) }

    /// The number of queries sent and not yet answered.
    public var queriesInFlight: Int { core.inflightCount.load(ordering: .relaxed) }

    /// The number of queries handed to the connection and not sent yet: waiting for room in the pipeline,
    /// or held to go out together with the next group (see ``PostgresConfiguration/groupsWrites``). As of
    /// the event loop's last pass over the connection.
    public var queriesWaiting: Int { core.waitingCount.load(ordering: .relaxed) }

    /// The number of result sets this connection returned that are still held (each keeps its libpq
    /// result in memory until its last reference goes).
    public var openResults: Int { core.openResults.value.load(ordering: .relaxed) }

    /// The server process id serving this connection (as in `pg_stat_activity.pid`). Through a pooler,
    /// the id the pooler gave (its cancel key, not a server process).
    public let backendPID: Int32

    /// Whether a transaction pooler sits between this connection and the server, declared or found when
    /// connecting (see ``PostgresConfiguration/pooler``): statements are then never prepared under a name
    /// and `LISTEN` is refused.
    public let isPooled: Bool

    /// The server version as an integer, e.g. 150018 for 15.18.
    public let serverVersion: Int

    private init(core: ConnectionCore, backendPID: Int32, serverVersion: Int, isPooled: Bool) {
        self.core = core
        self.backendPID = backendPID
        self.serverVersion = serverVersion
        self.isPooled = isPooled
    }

    deinit {
        let core = core
        core.loop.execute { core.shutdown(PostgresError(code: .closed, message: "the connection was released")) }
    }

    /// Opens a connection.
    ///
    /// Unless ``PostgresConfiguration/pooler`` is ``PostgresConfiguration/Pooler/none``, the connection
    /// runs one statement before it is returned: it sets the session time zone to UTC and finds out
    /// whether a transaction pooler sits in front of the server (``isPooled``).
    ///
    /// - Throws: ``PostgresError`` with code `connection` (refused, authentication failed, server down...),
    ///   `timeout` (after ``PostgresConfiguration/connectTimeout``; the set-up statement has a deadline of
    ///   its own of the same length) or `cancelled`.
    public static func connect(
        configuration: PostgresConfiguration = PostgresConfiguration(),
        logger: Logger = Logger(label: "LibPQ", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> PostgresConnection {
        let core = ConnectionCore(configuration: configuration, logger: logger)
        do {
            try await core.connect()
        } catch let error as PostgresError {
            core.logger.debug("connect failed", metadata: ["error.code": "\(error.code)"])
            throw error
        }
        let info = await core.onLoop { core -> (Int32, Int) in
            guard let conn = core.conn else { return (0, 0) }
            return (PQbackendPID(conn), Int(PQserverVersion(conn)))
        }
        var pooled = false
        if configuration.pooler != .none {
            do {
                pooled = try await core.setUpSession(clientPID: info.0)
            } catch {
                core.logger.debug("session set-up failed", metadata: ["error": "\(error)"])
                await core.onLoop { core in
                    core.shutdown(PostgresError(code: .closed, message: "the session set-up failed"))
                }
                throw error
            }
        }
        return PostgresConnection(core: core, backendPID: info.0, serverVersion: info.1, isPooled: pooled)
    }

    /// Runs one statement with its interpolated values as binary binds and returns its rows.
    ///
    /// Parameterised statements are prepared once per connection and reused (see
    /// ``PostgresConfiguration/statementCacheCapacity``). Cancelling the calling task cancels the statement
    /// on the server; the connection stays usable.
    ///
    /// - Parameters:
    ///   - query: the statement, its interpolated values bound as parameters.
    ///   - timeout: when given, the statement is cancelled on the server after this long and the call
    ///     throws a `timeout` error.
    /// - Throws: ``PostgresError``: `encoding` / `tooManyParameters` before anything is sent; `server` with
    ///   the server's fields; `connection`/`connectionClosed`; `cancelled`; `timeout`; `closed`.
    @discardableResult
    nonisolated(nonsending) public func query(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
        try Self.validate(query)
        return try await run(Request(kind: .query(query)), timeout: timeout)
    }

    /// ``query(_:timeout:)`` for a statement the pool already validated and found not to open a
    /// transaction block (neither check runs twice on the pool's hot path).
    @inline(__always)
    nonisolated(nonsending) func queryValidated(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresRows {
        let request = Request(kind: .query(query))
        request.mayOpenTransaction = false
        return try await run(request, timeout: timeout)
    }

    /// Runs several statements separated by semicolons with the simple query protocol (for DDL scripts).
    /// Nothing can be bound. Implicitly one transaction unless the script has its own `BEGIN`/`COMMIT`.
    public func execute(script: String, timeout: Duration?) async throws {
        guard !script.containsNUL else {
            throw PostgresError(code: .encoding, message: "the script contains a NUL byte", query: nil)
        }
        _ = try await run(Request(kind: .script(script)), timeout: timeout)
    }

    /// Closes the connection. Queries still running fail with a `closed` error. Safe to call twice.
    public func close() async {
        await core.onLoop { core in
            core.shutdown(PostgresError(code: .closed, message: "the connection was closed"))
        }
    }

    /// Receives `NOTIFY` messages for channels this connection `LISTEN`s on. Called on the loop thread:
    /// return quickly.
    public func setNotificationHandler(_ handler: (@Sendable (PostgresNotification) -> Void)?) async {
        await core.onLoop { core in core.notificationHandler = handler }
    }

    /// Checks what must hold before a query is sent.
    static func validate(_ query: PostgresQuery) throws {
        if let e = query.binds.deferredError {
            throw PostgresError.encoding(e, parameter: query.binds.deferredIndex, query: query.sql)
        }
        guard query.binds.count <= PostgresBindings.maximumCount else {
            throw PostgresError(
                code: .tooManyParameters,
                message: "\(query.binds.count) parameters; PostgreSQL takes at most \(PostgresBindings.maximumCount)",
                query: query.sql)
        }
        guard !query.sql.containsNUL else {
            throw PostgresError(code: .encoding, message: "the SQL text contains a NUL byte", query: nil)
        }
    }

    @inline(__always)
    nonisolated(nonsending) func run(_ request: Request, timeout: Duration?) async throws -> PostgresRows {
        let core = core
        // The timeout is a timer on the connection's loop, armed when the loop takes the request.
        if let timeout { request.deadline = monotonicNanoseconds() &+ timeout.clampedNanoseconds }
        defer { SanitizerAnnotations.acquire(request) }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                request.continuation = continuation
                core.submit(request)
            }
        } onCancel: {
            core.cancel(request, reason: .cancelled)
        }
    }
}

extension ConnectionCore {
    /// Runs `body` on the loop and returns its result.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (ConnectionCore) -> T) async -> T {
        defer { SanitizerAnnotations.acquire(self) }
        return await withUnsafeContinuation { continuation in
            loop.execute { [self] in
                let value = body(self)
                SanitizerAnnotations.release(self)
                continuation.resume(returning: value)
            }
        }
    }
}
