import CLibPQ

extension ConnectionCore {
    /// The statement a connection runs first unless its pooler is ``PostgresConfiguration/Pooler/none``:
    /// the server's own process id (to tell a pooler, see ``PostgresConfiguration/Pooler/automatic``) and
    /// the session time zone set to UTC. `set_config(…, false)` is a session-level `SET`: the server
    /// reports the new value in a `ParameterStatus` message, from which PgBouncer records `TimeZone` for
    /// this client and sets it again on every server connection it lends the client later. Sent unnamed:
    /// the statement cache is still off.
    static let sessionSetup = PostgresQuery(
        unsafeSQL: "SELECT pg_backend_pid(), set_config('TimeZone', 'UTC', false)")

    /// Runs ``sessionSetup`` and decides whether a transaction pooler sits in front of the server: declared
    /// (``PostgresConfiguration/Pooler/pgbouncerTransaction``), or found because the process id libpq got
    /// in the start-up (`BackendKeyData`, a pooler's own) is not the server's. A direct connection then
    /// turns its statement cache on. Returns whether the connection is pooled.
    ///
    /// Bounded by ``PostgresConfiguration/connectTimeout``; the calling task's cancellation cancels it.
    func setUpSession(clientPID: Int32) async throws -> Bool {
        let request = Request(kind: .query(Self.sessionSetup))
        request.mayOpenTransaction = false
        request.deadline = monotonicNanoseconds() &+ configuration.connectTimeout.clampedNanoseconds
        let rows = try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                request.continuation = continuation
                submit(request)
            }
        } onCancel: { [self] in
            cancel(request, reason: .cancelled)
        }
        guard let row = rows.first else {
            throw PostgresError(code: .protocolViolation, message: "the session set-up statement returned no row", query: request.sql)
        }
        let serverPID = try row.decode(Int32.self, at: 0)
        let pooled = configuration.pooler == .pgbouncerTransaction || serverPID != clientPID
        await onLoop { core in
            core.pooled = pooled
            if !pooled { core.statements = StatementCache(capacity: core.configuration.statementCacheCapacity) }
        }
        if pooled {
            logger.debug(
                "behind a transaction pooler: unnamed statements only",
                metadata: ["psql.backend.pid": "\(serverPID)", "psql.pooler": "\(configuration.pooler)"])
        }
        return pooled
    }

    /// The error for a statement that cannot work through a transaction pooler (loop only): `LISTEN`
    /// registers on whichever server connection the pooler lends for it, and the notifications go to
    /// whichever client holds that server connection later.
    func refusedThroughPooler(_ request: Request) -> PostgresError {
        let how = configuration.pooler == .pgbouncerTransaction
            ? "PostgresConfiguration.pooler is .pgbouncerTransaction"
            : "PostgresConfiguration.pooler is .automatic and found one: the server process id differs from the connection's"
        return PostgresError(
            code: .unsupportedStatement,
            message: "LISTEN cannot work through a transaction pooler (\(how)); listen on a direct connection "
                + "to the server (a configuration whose pooler is .none or .automatic, with the server's own host and port)",
            query: request.sql)
    }
}
