import CLibPQ

// Cancelling requests: dropping unsent ones, and cancel requests to the server that can never hit another
// caller's statement for good.
//
// A cancel request names a server process, not a statement: it interrupts whatever that process runs when
// the signal arrives. On a pipelined connection that may be a neighbour's statement. Three rules keep the
// harm away:
//
// 1. **The fence.** From the moment a cancel is issued until the server has acted on it (`PQcancel` returns
//    once the server closed the cancel connection, after signalling the backend), the connection sends
//    nothing new. So a cancel can only reach statements that were already sent when it was issued: the
//    server ignores a cancel that arrives while it waits for the next message, and a statement read after
//    the signal was delivered finds the cancel already consumed.
// 2. **Aim.** A cancel is issued only for the statement at the head of the pipeline (or inside a read-only
//    group the server is working through), once per request, and only when everything else in flight can
//    be run again if it is hit: statements outside a transaction block (each is its own implicit
//    transaction, rolled back by the cancel). When a transaction block may be open and other statements
//    follow the target, no cancel is sent: the target is abandoned (its caller already has its answer; its
//    result is dropped when it comes).
// 3. **Rerun.** A statement whose caller did not cancel and that fails with 57014 while one of this
//    connection's cancels was issued during its flight (``Request/cancelsAtSend``) is sent again, outside a
//    transaction block. A 57014 with no cancel of ours in its flight (the server's `statement_timeout`,
//    `pg_cancel_backend`) is the caller's error.
//
// `PQcancel` blocks (connect, send, wait for the server to close), so it runs on the library's own cancel
// threads (``BlockingThreads/cancels``), never on Swift's global executor or Dispatch's global queues. A
// cancel still queued at half its deadline is not sent (the fence lifts; the target is abandoned); one that
// the server has not acted on by ``PostgresConfiguration/cancelTimeout`` retires the connection, since a
// cancel the server acts on later could hit any statement.
extension ConnectionCore {
    /// Whether a `57014` (query_canceled) error with this server message may come from a cancel request
    /// rather than from the server's `statement_timeout`, which has the same SQLSTATE. Only the English
    /// message tells them apart, so any other text counts as a possible cancel (a statement timeout is then
    /// run again too when one of this connection's cancels was in flight with it: wasted work, never a wrong
    /// answer, since the statement was rolled back).
    static func mayBeStrayCancel(_ message: String) -> Bool {
        !message.contains("statement timeout")
    }

    /// Whether one of this connection's cancel requests was issued while `request` was in flight, so that
    /// a `57014` on it may be that cancel's.
    func mayHaveBeenHitByOwnCancel(_ request: Request) -> Bool {
        cancelsIssued > request.cancelsAtSend
    }

    /// Loop side of a cancel (the caller's task was cancelled, or its timeout passed): the caller gets its
    /// answer at once. A request not yet sent is dropped. One in flight stays there without a caller (its
    /// results are dropped when they come) and is cancelled on the server when the rules above allow it,
    /// now or when it reaches the head of the pipeline (`cancelHeadIfRequested`).
    func cancelOnLoop(_ request: Request) {
        if inboxHolding, !pending.contains(where: { $0 === request }), !inflight.contains(where: { $0 === request }) {
            drainInbox()  // it waits in the inbox, which answers it there as cancelled before it was sent
            return
        }
        if let i = pending.firstIndex(where: { $0 === request }) {
            pending.remove(at: i)
            completeUnsent(request)
            return
        }
        guard let position = inflight.firstIndex(where: { $0 === request }) else { return }
        complete(request, error: request.cancelAnswer("; the statement is cancelled on the server"))
        cancelOnServerIfSafe(request, at: position)
    }

    /// Answers a cancelled request that was never sent.
    func completeUnsent(_ request: Request) {
        complete(request, error: request.cancelAnswer(" before it was sent").notSent())
    }

    /// After the head of the pipeline completed, or a cancel finished: cancel the head on the server if its
    /// caller asked (not for group members: a group's results arrive together, so by then the server is
    /// done with it).
    ///
    /// The statement has only just reached the head: the server may still be reading its messages, and a
    /// cancel that arrives then is ignored by the server (and only one is sent per statement), so the
    /// cancel goes out ``headStartGrace`` later, if the statement is still there. A short statement
    /// usually finishes meanwhile and needs no cancel at all.
    func cancelHeadIfRequested() {
        guard headCancelTimer == nil, let head = inflight.first, head.cancelRequested, !head.serverCancelSent,
            !head.inGroup
        else { return }
        // Strong captures here and below: a weak reference to the core would slow every retain and
        // release of it for good (see `armTimer`); the timers are cancelled at shutdown.
        headCancelTimer = loop.schedule(at: monotonicNanoseconds() &+ Self.headStartGrace) { [self] in
            headCancelTimer = nil
            guard case .ready = state, let head = inflight.first, head.cancelRequested, !head.serverCancelSent,
                !head.inGroup
            else { return }
            cancelOnServerIfSafe(head, at: 0)
        }
    }

    /// How long a statement whose caller already gave up stays at the head of the pipeline before it is
    /// cancelled on the server (5 ms): time for the server to read it and start it.
    static let headStartGrace: UInt64 = 5_000_000

    /// Issues a server cancel for the in-flight `request` at `position` when rules 1 and 2 allow it.
    private func cancelOnServerIfSafe(_ request: Request, at position: Int) {
        guard !request.serverCancelSent, !groupFailed, !cancelOutstanding, let conn, cancelHandle != nil else { return }
        // Running now: the head, or a member of a read-only group with only members of the group ahead of
        // it (a cancel may then hit an earlier member, which is sent again: see `finish`).
        let groupRunning = request.inGroup && inflight[..<position].allSatisfy { $0.inGroup && !$0.syncAfter }
        guard position == 0 || groupRunning else { return }
        // Statements after it could be hit too; inside a transaction block that would abort the block.
        if inflight.count > position + 1, !outsideTransactionBlock(conn) {
            logger.debug("not cancelling on the server: a transaction block may be open and statements follow")
            return
        }
        issueServerCancel(for: request)
    }

    /// Sends one cancel request on a cancel thread and raises the fence until the server has acted on it.
    private func issueServerCancel(for request: Request) {
        guard let handle = cancelHandle else { return }
        request.serverCancelSent = true
        cancelsIssued += 1
        cancelOutstanding = true
        let timeout = configuration.cancelTimeout
        let now = monotonicNanoseconds()
        let nanoseconds = timeout.clampedNanoseconds
        cancelTimer = loop.schedule(at: now &+ nanoseconds) { [self] in cancelTimedOut(timeout) }
        logger.debug("sending cancel request", metadata: ["psql.cancels.issued": "\(cancelsIssued)"])
        let loop = loop
        BlockingThreads.cancels.submit(
            .init(
                deadline: now &+ nanoseconds / 2,
                run: { [self] in
                    var buffer = [CChar](repeating: 0, count: 256)
                    let sent = PQcancel(handle.pointer, &buffer, Int32(buffer.count)) == 1
                    let failure = sent ? nil : buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    loop.execute { [self] in cancelFinished(failure: failure) }
                },
                expired: { [self] in
                    loop.execute { [self] in cancelFinished(failure: "not sent: every cancel thread was busy") }
                }))
    }

    /// The server acted on the cancel (or it could not be delivered): lift the fence. Loop only.
    private func cancelFinished(failure: String?) {
        guard case .ready = state, cancelOutstanding else { return }
        if let cancelTimer {
            loop.cancel(cancelTimer)
            self.cancelTimer = nil
        }
        cancelOutstanding = false
        if let failure {
            logger.debug("cancel request failed", metadata: ["error.message": "\(failure.trimmingTrailingWhitespace())"])
        }
        cancelHeadIfRequested()
        if !pending.isEmpty { pump() }
    }

    /// The server has not acted on the cancel in time: it may still do so at any moment, and hit any
    /// statement sent from now on, so the connection is retired.
    private func cancelTimedOut(_ timeout: Duration) {
        cancelTimer = nil
        guard case .ready = state, cancelOutstanding else { return }
        shutdown(
            PostgresError(
                code: .connection,
                message: "the server did not act on a cancel request within \(timeout.readable); the connection was closed so that the cancel cannot hit a later statement"))
    }
}
