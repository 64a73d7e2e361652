import CLibPQ
import Synchronization

/// One unit of work for a connection: a query (sent with its own pipeline sync point, so its failure never
/// affects another request), a multi-statement script, or an internal statement (no caller waiting).
// @unchecked Sendable: after submission every mutable field except `cancelRequested` is touched only on
// the connection's loop thread; `cancelRequested` is atomic. Those fields skip the runtime's dynamic
// exclusivity checks (`@exclusivity(unchecked)`, as in `ConnectionCore`): one thread at a time, no access
// held across a call that could reach the same field.
final class Request: @unchecked Sendable {
    enum Kind {
        /// Extended protocol, binary results, prepared through the statement cache when enabled.
        case query(PostgresQuery)
        /// Simple query protocol (several statements, text results); runs outside pipeline mode.
        case script(String)
    }

    /// The statement. A script's SQL text is held as an unbound query (`isScript` tells them apart), so
    /// the send path reads the query in place: matching an enum payload copied the whole query (its SQL
    /// text and bind buffers retained and released) every time.
    let query: PostgresQuery
    @exclusivity(unchecked) var continuation: UnsafeContinuation<PostgresRows, any Error>?
    /// Set from any thread when the caller's task is cancelled (1) or its timeout passes (2); the first
    /// reason wins.
    private let cancelState = Atomic<UInt8>(0)

    /// Records a cancel request; returns false when one was already recorded.
    @discardableResult
    func requestCancel(_ reason: PostgresError.Code) -> Bool {
        cancelState.compareExchange(expected: 0, desired: reason == .timeout ? 2 : 1, ordering: .acquiringAndReleasing)
            .exchanged
    }

    /// Whether the caller asked to cancel.
    var cancelRequested: Bool { cancelState.load(ordering: .acquiring) != 0 }

    /// Why the request was cancelled (`cancelled` or `timeout`).
    var cancelReason: PostgresError.Code { cancelState.load(ordering: .acquiring) == 2 ? .timeout : .cancelled }

    /// The error its caller gets for the cancel: "timed out" or "cancelled", then `detail`.
    func cancelAnswer(_ detail: String) -> PostgresError {
        let reason = cancelReason
        return PostgresError(code: reason, message: (reason == .timeout ? "timed out" : "cancelled") + detail, query: sql)
    }

    // Loop-only state while in flight.
    /// The statement cache entry this request executes (nil for unnamed statements).
    @exclusivity(unchecked) var statementName: String?
    @exclusivity(unchecked) var cacheKey: StatementCache.Key?
    /// Whether this request also sent the `Parse` of its statement (its first result is the prepare's).
    @exclusivity(unchecked) var sentPrepare = false
    /// Results seen so far before the sync point.
    @exclusivity(unchecked) var resultCount = 0
    @exclusivity(unchecked) var rows: OpaquePointer?
    @exclusivity(unchecked) var error: PostgresError?
    @exclusivity(unchecked) var retried = false
    /// How often it ran again after a cancel meant for another statement hit it.
    @exclusivity(unchecked) var strayCancelReruns = 0
    /// Whether a server-side cancel was sent for it (at most one is).
    @exclusivity(unchecked) var serverCancelSent = false
    /// ``ConnectionCore/cancelsIssued`` when it was last sent: a cancel issued after that may hit it.
    @exclusivity(unchecked) var cancelsAtSend = 0
    /// Whether its own sync point follows it. False for a read-only query sent in a group that shares the
    /// sync point of the group's last member (see `ConnectionCore.pump`).
    @exclusivity(unchecked) var syncAfter = true
    /// When its sync point was sent (``monotonicNanoseconds()``; 0 when it has none yet), and whether
    /// that answer times a round trip (sent with no other sync point in flight and no `Parse`): see
    /// ``HoldTiming``.
    @exclusivity(unchecked) var syncSentAt: UInt64 = 0
    @exclusivity(unchecked) var timesRoundTrip = false
    /// libpq commands sent for it (`Parse` and/or `Execute`) whose results have not all been read yet.
    @exclusivity(unchecked) var commandsLeft = 0
    /// Whether its statement was skipped (`PGRES_PIPELINE_ABORTED`) because an earlier member of its group
    /// failed: nothing of it ran, so it is sent again.
    @exclusivity(unchecked) var aborted = false
    /// When the caller's timeout passes (``monotonicNanoseconds()``), if it has one.
    @exclusivity(unchecked) var deadline: UInt64?
    /// The loop timer for `deadline`, while the request is on the loop.
    @exclusivity(unchecked) var timer: LoopTimer?
    /// Whether it was sent as part of a read-only group (its guard included).
    @exclusivity(unchecked) var inGroup = false
    /// Whether it is the internal statement that opens a read-only group.
    @exclusivity(unchecked) var isGroupGuard = false
    /// Whether it was sent as a member of a write group (answered only once the group committed).
    @exclusivity(unchecked) var inWriteGroup = false
    /// Whether a flush request follows its statement, before its sync point: the server answers the
    /// statement before it commits, so once ``commandsLeft`` is 0 only the commit is left (see
    /// `ConnectionCore.writeStatementsInFlight`).
    @exclusivity(unchecked) var answeredBeforeCommit = false
    /// Whether it must be sent on its own: its write group rolled back, and it runs again alone.
    @exclusivity(unchecked) var sendsAlone = false

    init(kind: Kind, continuation: UnsafeContinuation<PostgresRows, any Error>? = nil) {
        self.continuation = continuation
        switch kind {
        case .query(let q):
            query = q
            isReadOnlyQuery = q.isReadOnly
            isGroupableWrite = !q.isReadOnly && PostgresQuery.isGroupableWrite(q.sql)
            isScript = false
        case .script(let sql):
            query = PostgresQuery(unsafeSQL: sql)
            isReadOnlyQuery = false
            isGroupableWrite = false
            isScript = true
        }
    }

    var sql: String { query.sql }

    /// Whether it may share a sync point with other read-only queries. Stored, like ``isScript``: the
    /// pump asks several times per request, and matching `kind` copied the whole query each time.
    let isReadOnlyQuery: Bool

    /// Whether it is a single `INSERT`, `UPDATE` or `DELETE` that may share a sync point with other such
    /// writes (see ``PostgresConfiguration/groupsWrites``). Stored, for the same reason.
    let isGroupableWrite: Bool

    /// Whether it may open a transaction block (`BEGIN`, `START TRANSACTION`), so that the transaction status
    /// libpq last reported may be stale until its result is in. Computed once.
    lazy var mayOpenTransaction: Bool = {
        guard !isScript, !query.isReadOnly else { return false }
        return PostgresQuery.startsTransaction(query.sql)
    }()

    let isScript: Bool

    /// Forgets what a previous attempt left, before a transparent retry.
    func resetForRetry() {
        if let rows { PQclear(rows) }
        rows = nil
        error = nil
        statementName = nil
        cacheKey = nil
        sentPrepare = false
        syncSentAt = 0
        timesRoundTrip = false
        resultCount = 0
        retried = true
    }

    /// Forgets what a skipped attempt left (nothing of it ran), before it is sent again.
    func resetForResend() {
        let wasRetried = retried
        resetForRetry()
        retried = wasRetried
        aborted = false
    }

    deinit {
        if let rows { PQclear(rows) }
    }
}
