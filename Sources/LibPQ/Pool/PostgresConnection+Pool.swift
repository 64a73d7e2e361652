import CLibPQ

extension PostgresConnection {
    /// Runs a statement whether or not the calling task is cancelled (for `COMMIT`, `ROLLBACK` and the
    /// pool's own housekeeping, which must run even when the caller was cancelled).
    @discardableResult
    func queryIgnoringCancellation(_ sql: String, timeout: Duration? = nil) async throws -> PostgresRows {
        let core = core
        let request = Request(kind: .query(PostgresQuery(unsafeSQL: sql)))
        if let timeout { request.deadline = monotonicNanoseconds() &+ timeout.clampedNanoseconds }
        defer { SanitizerAnnotations.acquire(request) }
        return try await withUnsafeThrowingContinuation { continuation in
            request.continuation = continuation
            core.submit(request)
        }
    }

    /// The session's transaction state as libpq last saw it.
    enum TransactionState: Sendable { case idle, inTransaction, failed, active, unknown }

    var transactionState: TransactionState {
        get async {
            await core.onLoop { core in
                guard let conn = core.conn else { return .unknown }
                // Refreshes the connection's own record of whether a transaction block may be open, which
                // libpq cannot tell while statements are in flight: after exclusive use the pool checks the
                // state with nothing in flight, and a stale "may be open" would keep the connection from
                // re-running a statement hit by a stray cancel later.
                _ = core.outsideTransactionBlock(conn)
                switch PQtransactionStatus(conn) {
                case PQTRANS_IDLE: return .idle
                case PQTRANS_INTRANS: return .inTransaction
                case PQTRANS_INERROR: return .failed
                case PQTRANS_ACTIVE: return .active
                default: return .unknown
                }
            }
        }
    }

    /// After an exclusive lease: whether the connection can serve someone else. Rolls back a transaction
    /// the caller left open; refuses a connection with work still in flight or that is closed.
    func resetAfterExclusiveUse() async -> Bool {
        guard isOpen, queriesInFlight == 0 else { return false }
        switch await transactionState {
        case .idle:
            return true
        case .inTransaction, .failed:
            guard (try? await queryIgnoringCancellation("ROLLBACK", timeout: .seconds(10))) != nil else { return false }
            return await transactionState == .idle
        case .active, .unknown:
            return false
        }
    }

    /// Calls `handler` (on the connection's loop) when the connection closes, at once if it already has.
    func onClose(_ handler: @escaping @Sendable () -> Void) async {
        await core.onLoop { core in
            if case .closed = core.state {
                handler()
            } else {
                core.onClose = { _ in handler() }
            }
        }
    }

    /// Statement cache lookups answered from the cache, and statements prepared.
    @_spi(PoolInternals)
    public var statementCacheStatistics: (hits: Int, misses: Int) {
        get async { await core.onLoop { ($0.statements.hits, $0.statements.misses) } }
    }
}
