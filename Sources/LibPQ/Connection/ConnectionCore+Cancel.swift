import CLibPQ
import Dispatch

// Cancelling requests: dropping unsent ones, cancel requests to the server (sent again while the
// statement still runs), and recognising a stray cancel.
extension ConnectionCore {
    /// Whether a `57014` (query_canceled) error with this server message may come from a cancel request
    /// (a stray one, meant for an earlier statement) rather than from the server's `statement_timeout`,
    /// which has the same SQLSTATE. Only the English message tells them apart, so any other text counts
    /// as a possible cancel: with server messages in another language (`lc_messages`), a statement
    /// timeout right after a cancel of this connection's is run again too, at most 3 times. That wastes
    /// work but never answers wrongly (the statement was rolled back), where a cancel request left alone
    /// would fail an innocent caller's statement.
    static func mayBeStrayCancel(_ message: String) -> Bool {
        !message.contains("statement timeout")
    }

    /// Whether this connection sent a cancel request in the last 5 seconds.
    var cancelSentRecently: Bool {
        lastCancelSent != 0 && monotonicNanoseconds() &- lastCancelSent < 5_000_000_000
    }

    /// Loop side of a cancel (the caller's task was cancelled, or its timeout passed): the caller gets its
    /// answer at once. A request not yet sent is dropped. One in flight stays there without a caller (its
    /// results are dropped when they come) and is cancelled on the server when that cannot hit another
    /// caller's statement for good:
    /// - at the head of the pipeline it is the statement running (or about to run) on the server;
    /// - in a read-only group that the server is working through (only group members ahead of it), a
    ///   cancel may hit an earlier member instead, which then runs again (see `finish`);
    /// - anywhere else it is cancelled when it reaches the head (`cancelHeadIfRequested`), unless it is a
    ///   group member: a group's results arrive together, so by then the server is done with it.
    func cancelOnLoop(_ request: Request) {
        if let i = pending.firstIndex(where: { $0 === request }) {
            pending.remove(at: i)
            completeUnsent(request)
            return
        }
        guard let position = inflight.firstIndex(where: { $0 === request }) else { return }
        complete(request, error: request.cancelAnswer("; the statement is cancelled on the server"))
        guard !request.serverCancelSent, !groupFailed else { return }
        let groupRunning = request.inGroup && inflight[..<position].allSatisfy { $0.inGroup && !$0.syncAfter }
        if position == 0 || groupRunning {
            request.serverCancelSent = true
            sendServerCancel(for: request)
        }
    }

    /// Answers a cancelled request that was never sent.
    func completeUnsent(_ request: Request) {
        complete(request, error: request.cancelAnswer(" before it was sent").notSent())
    }

    /// After the head of the pipeline completed: cancel the new head on the server if its caller asked
    /// (not for group members: see `cancelOnLoop`).
    func cancelHeadIfRequested() {
        guard let head = inflight.first, head.cancelRequested, !head.serverCancelSent, !head.inGroup,
            !groupFailed
        else { return }
        head.serverCancelSent = true
        sendServerCancel(for: head)
    }

    /// Sends a cancel request on a Dispatch thread (`PQcancel` blocks until the server answers), and,
    /// outside transaction blocks, sends it again while `request` still runs: a cancel that reaches the
    /// server between two statements is dropped (or hits the next one, which is then rerun; see `finish`),
    /// so one attempt is not always enough. Up to 5 attempts, 200 ms, 400 ms, ... apart. Inside a block a
    /// stray cancel could not be undone (it would abort the block), so the cancel is sent once.
    func sendServerCancel(for request: Request, attempt: Int = 1) {
        guard let handle = cancelHandle, let conn else { return }
        lastCancelSent = monotonicNanoseconds()
        logger.debug("sending cancel request", metadata: ["attempt": "\(attempt)"])
        DispatchQueue.global().async {
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(handle.pointer, &buffer, Int32(buffer.count))
        }
        guard attempt < 5, outsideTransactionBlock(conn) else { return }
        let delay = UInt64(200_000_000) << UInt64(attempt - 1)
        _ = loop.schedule(at: monotonicNanoseconds() &+ delay) { [weak self] in
            guard let self, case .ready = self.state, self.inflight.contains(where: { $0 === request }) else { return }
            self.sendServerCancel(for: request, attempt: attempt + 1)
        }
    }
}
