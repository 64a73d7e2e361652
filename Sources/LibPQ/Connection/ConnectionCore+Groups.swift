import CLibPQ

// Groups: when read-only and write groups may start, and how a finished request or write group is
// settled (answered, or sent again). The pump and the result reader in ConnectionCore+Pipeline.swift use
// these. Loop only, as everything there.
extension ConnectionCore {
    /// The statement each read-only group starts with: the server then refuses a member that writes
    /// (SQLSTATE 25006), so no write is ever tied to another caller's statement. `transaction_read_only`
    /// is reset when each transaction starts, so the setting ends with the group's implicit transaction at
    /// its sync point (`SET LOCAL` would also work but warns outside a transaction block). A utility
    /// statement answers with no row description and no row: cheaper to parse, for client and server,
    /// than `SELECT set_config('transaction_read_only', 'on', true)`, which this guard replaced.
    static let readOnlyGuard = PostgresQuery(unsafeSQL: "SET transaction_read_only = on")

    /// Whether a read-only group may start now: grouping is on, no transaction block is open or being
    /// opened (the guard would make it read-only), and the pipeline has room for the guard and two members.
    ///
    /// libpq reports the transaction status only while nothing is in flight (else `PQTRANS_ACTIVE`), so
    /// the connection remembers whether it sent something that may have opened a block (`BEGIN`,
    /// `START`, a script) and forgets it once libpq reports the session idle again.
    func canStartGroup(_ conn: OpaquePointer) -> Bool {
        guard configuration.groupsReadOnlyQueries, !groupingDisabled,
            inflight.count + 3 <= configuration.maximumPipelineDepth
        else { return false }
        return outsideTransactionBlock(conn)
    }

    /// Sync points in flight at which read-only queries start to wait in the client: one group the server
    /// works on and one queued behind it.
    static let readOnlyHoldDepth = 2

    /// Whether a read-only query at the head of `pending`, with no group open, waits in the client: read-only
    /// grouping is on, no transaction block may be open, ``readOnlyHoldDepth`` sync points are in flight,
    /// and the server's time per group is at least a round trip (``HoldTiming/holdPays``).
    ///
    /// The server answers a connection's statements in order, so a query sent now would only queue there
    /// behind both. Held, it goes out when the first of them is answered and reaches the server while the
    /// server still works on the second (that is what the timing condition checks): it starts no later, but
    /// together with the read-only queries that arrived meanwhile, as one group (one sync point, one
    /// transaction, one write each way) instead of one group each. Measured with 16 and 64 callers on one
    /// host: groups of 7 and 10 instead of 5.5 and 8, less CPU per query on both sides. A held query that
    /// is cancelled or times out is answered at once, as never sent.
    func holdsReadOnlyQueries() -> Bool {
        guard configuration.groupsReadOnlyQueries, !groupingDisabled, !transactionMayBeOpen, holdTiming.holdPays
        else { return false }
        var syncPoints = 0
        for r in inflight where r.syncAfter {
            syncPoints += 1
            if syncPoints == Self.readOnlyHoldDepth { return true }
        }
        return false
    }

    /// Marks the inbox as holding (``Inbox/holding``): submissions stop waking the loop until results come in.
    func holdInbox() {
        guard !inboxHolding else { return }
        inboxHolding = true
        inbox.withLock { $0.holding = true }
    }

    /// Whether a write this connection sent is still running at the server: its statement not answered
    /// yet, or its commit when that answer comes with the statement's.
    ///
    /// A write group's statements, and a lone write's when writes have been waiting behind this
    /// connection's (`writesWaited`), are answered before the commit (a flush request goes before the
    /// sync point: ``Request/answeredBeforeCommit``), so from then on only the commit is left (a group's
    /// members wait in `heldWrites`, the last in `inflight` with no command left): writes held behind them
    /// go out then and queue at the server during the commit's WAL flush, instead of a round trip after
    /// it, when the server would sit idle. Measured on a durable server (A/B cells, 3 rounds): groups,
    /// set-active-order at 4 and 16 callers +9–29% and +8–19%, creates at 16 callers +15–18%, at 64
    /// callers within noise; lone writes on top, creates and set-active-order at 4 callers +13–19% and
    /// +2–20%.
    func writeStatementsInFlight() -> Bool {
        inflight.contains { $0.isGroupableWrite && !($0.answeredBeforeCommit && $0.commandsLeft == 0) }
    }

    /// Sends a flush request after `write`, the last statement before a write sync point, when `always` (a
    /// group of two or more) or when writes have waited behind this connection's since the last write went
    /// out (``writesWaited``, which this clears): the server then answers the statements before it commits
    /// (``Request/answeredBeforeCommit``), and the writes held behind go out during the commit's WAL flush
    /// (``writeStatementsInFlight()``). A caller writing alone gets none: each answer would wake the loop
    /// twice for nothing (~20 µs of client CPU per write, measured). Should libpq refuse the request, the
    /// results come with the sync point as without it: nothing else changes.
    func requestAnswerBeforeCommit(_ write: Request, conn: OpaquePointer, always: Bool) {
        if always || writesWaited {
            write.answeredBeforeCommit = PQsendFlushRequest(conn) == 1
        }
        writesWaited = false
    }

    /// Whether a write group may start now: write grouping is on, no transaction block is open or being
    /// opened (the writes would join it), and the pipeline has room for two members.
    func canStartWriteGroup(_ conn: OpaquePointer) -> Bool {
        guard configuration.groupsWrites, inflight.count + 2 <= configuration.maximumPipelineDepth else { return false }
        return outsideTransactionBlock(conn)
    }

    /// A request whose results are all in: sent again (at `resent`, in order) when the server skipped it
    /// because an earlier member of its group failed, else finished.
    func settle(_ head: Request, conn: OpaquePointer, resent: inout Int) {
        if head.aborted {
            guard head.continuation != nil else { return }  // its caller already gave up (timeout, cancel)
            head.resetForResend()
            pending.insert(head, at: resent)
            resent += 1
            groupResends.increment()
        } else {
            finish(head, conn: conn)
        }
    }

    /// A write group's sync point arrived (`tail` is its last member): when every member succeeded, the
    /// group committed and each member is answered. Otherwise its implicit transaction rolled back, so
    /// none of the members took effect: each one whose caller still waits is sent again, alone (at
    /// `resent`, in order), so that a failing write fails in a transaction of its own and the others
    /// commit without it. A member whose caller cancelled meanwhile is then answered as cancelled before
    /// it was sent (nothing of it remained).
    func settleWriteGroup(tail: Request, conn: OpaquePointer, resent: inout Int) {
        heldWrites.append(tail)
        let members = heldWrites
        heldWrites.removeAll(keepingCapacity: true)
        let failed = members.contains { $0.error != nil || $0.aborted }
        if !failed {
            for member in members {
                finish(member, conn: conn)
                if case .ready = state {} else { return }
            }
            return
        }
        for member in members where member.continuation != nil {
            member.resetForResend()
            member.sendsAlone = true
            pending.insert(member, at: resent)
            resent += 1
        }
        writeGroupReruns.increment(by: members.count)
    }
}
