import CLibPQ

extension ConnectionCore {
    /// Sends pending requests while the pipeline has room, then flushes once. Loop only.
    ///
    /// Each request gets its own sync point, so one failure never aborts another request, except for
    /// read-only queries sent together (``PostgresQuery/isReadOnly``, outside a transaction block): they
    /// form a group behind a `SET transaction_read_only = on` guard and share the sync
    /// point of the group's last member. The server runs such a group as one implicit transaction and
    /// answers it with one write; a member that fails fails alone, and the members after it (skipped by
    /// the server, `PGRES_PIPELINE_ABORTED`) are sent again.
    ///
    /// Single-statement writes sent together (``Request/isGroupableWrite``) form a write group the same
    /// way, without a guard: one implicit transaction, one commit. Its members are answered only at the
    /// group's sync point; if any of them failed, the transaction rolled back and each member is sent
    /// again on its own (``settleWriteGroup(tail:conn:resent:)``).
    ///
    /// While two sync points are in flight, read-only queries wait in the client and go out as one group
    /// when the first is answered (``holdsReadOnlyQueries()``).
    ///
    /// Nothing is sent while a cancel request is outstanding (the cancel fence, see
    /// `ConnectionCore+Cancel.swift`); the pump runs again when it lifts.
    func pump() {
        guard case .ready = state, let conn, !cancelOutstanding else { return }
        var sent = false
        // For the hold's timing (`HoldTiming`), taken when this pump's first sync point goes out (a pump
        // that sends none reads no clock): when they go out, and whether one went out with none ahead of it
        // and without a `Parse` (its answer then times a round trip).
        var sendTime: UInt64 = 0
        var syncAhead = false
        var groupPrepared = false
        func stampSync(_ request: Request, prepared: Bool) {
            if sendTime == 0 {
                sendTime = monotonicNanoseconds()
                syncAhead = inflight.contains { $0.syncAfter && $0 !== request }
            }
            request.syncSentAt = sendTime
            request.timesRoundTrip = !syncAhead && !prepared
            syncAhead = true
        }
        /// The last member of the read-only group being built, still without its sync point.
        var groupTail: Request?
        var groupMembers = 0
        /// Whether the open group is a write group (else a read-only group).
        var groupIsWrite = false
        func closeGroup() -> Bool {
            guard let tail = groupTail else { return true }
            groupTail = nil
            if groupIsWrite {
                writeGroupSizes.record(groupMembers)
                if groupMembers == 1 {
                    // A group of one is a plain request with its own sync point.
                    tail.inGroup = false
                    tail.inWriteGroup = false
                }
                // A group of one is a lone write: it gets the flush request only where writes waited.
                requestAnswerBeforeCommit(tail, conn: conn, always: groupMembers > 1)
            } else {
                groupSizes.record(groupMembers)
            }
            groupMembers = 0
            tail.syncAfter = true
            guard PQpipelineSync(conn) == 1 else {
                shutdown(PostgresError(code: .connection, message: "libpq refused a pipeline sync: \(lastErrorMessage())"))
                return false
            }
            stampSync(tail, prepared: groupPrepared)
            groupPrepared = false
            return true
        }
        // `next` stays in `pending` until it is handed to libpq, so a failure on the way (which shuts the
        // connection down and fails everything in `pending` and `inflight`) never loses it.
        while let next = pending.first, !scriptInFlight {
            if pooled, PostgresQuery.startsListen(next.sql) {
                pending.removeFirst()
                complete(next, error: refusedThroughPooler(next).notSent())
                continue
            }
            if next.isScript {
                // A script runs alone, outside pipeline mode (no group can be open: nothing is in flight).
                guard inflight.isEmpty else { break }
                pending.removeFirst()
                sendScript(next, conn: conn)
                sent = true
                break
            }
            guard inflight.count < configuration.maximumPipelineDepth else { break }
            if next.cancelRequested {
                pending.removeFirst()
                completeUnsent(next)
                continue
            }
            if !deallocations.isEmpty {
                guard closeGroup() else { return }
                sendDeallocations(conn)
            }
            var inGroup = false
            if next.isReadOnlyQuery {
                if groupTail != nil, groupIsWrite {
                    guard closeGroup() else { return }
                }
                if groupTail == nil, holdsReadOnlyQueries() {
                    holdInbox()
                    break
                }
                if groupTail != nil {
                    inGroup = true
                } else if pending.count >= 2, pending[pending.index(after: pending.startIndex)].isReadOnlyQuery,
                    canStartGroup(conn)
                {
                    // Two or more read-only queries in a row: start a group behind its guard. The guard is
                    // the group's tail until a member follows, so the group always gets its sync point.
                    let guardRequest = Request(kind: .query(groupGuard))
                    guardRequest.isGroupGuard = true
                    guardRequest.inGroup = true
                    guard send(guardRequest, conn: conn, sync: false) else {
                        if case .ready = state {
                            shutdown(PostgresError(code: .connection, message: "libpq refused a statement: \(lastErrorMessage())"))
                        }
                        return
                    }
                    inflight.append(guardRequest)
                    groupPrepared = guardRequest.sentPrepare
                    groupTail = guardRequest
                    groupIsWrite = false
                    inGroup = true
                }
            } else if next.isGroupableWrite && !next.sendsAlone {
                if groupTail == nil, configuration.groupsWrites, !transactionMayBeOpen, writeStatementsInFlight() {
                    // The server is running this connection's last writes: the writes that arrive meanwhile
                    // wait here and go out together as one group with one commit, instead of queueing at
                    // the server as one transaction each. They go out once the server has run those writes
                    // and is committing them, so they reach it during its WAL flush and start right after.
                    writesWaited = true
                    break
                }
                if groupTail != nil, !groupIsWrite {
                    guard closeGroup() else { return }
                }
                if groupTail != nil {
                    inGroup = true
                } else if pending.count >= 2, canStartWriteGroup(conn) {
                    let second = pending[pending.index(after: pending.startIndex)]
                    if second.isGroupableWrite && !second.sendsAlone {
                        // Two or more writes in a row: the first opens a write group (it is the group's
                        // tail until a member follows, so the group always gets its sync point).
                        groupIsWrite = true
                        inGroup = true
                    }
                }
            } else if groupTail != nil {
                guard closeGroup() else { return }
            }
            pending.removeFirst()
            if send(next, conn: conn, sync: !inGroup) {
                inflight.append(next)
                next.inGroup = inGroup
                next.inWriteGroup = inGroup && groupIsWrite
                if inGroup {
                    groupTail = next
                    groupMembers += 1
                    if next.sentPrepare { groupPrepared = true }
                } else {
                    stampSync(next, prepared: next.sentPrepare)
                }
                sent = true
            } else {
                // libpq refused the command (out of memory, or the connection broke).
                if case .closed = state {
                    complete(next, error: PostgresError(code: .connection, message: "the connection was shut down", query: next.sql))
                    return
                }
                let message = lastErrorMessage()
                if PQstatus(conn) == CONNECTION_BAD {
                    pending.prepend(next)
                    shutdown(PostgresError(code: .connection, message: message))
                    return
                }
                complete(next, error: PostgresError(code: .protocolViolation, message: message, query: next.sql))
            }
        }
        guard closeGroup() else { return }
        inflightCount.store(inflight.count, ordering: .relaxed)
        waitingCount.store(pending.count, ordering: .relaxed)
        if sent { flush() }
    }

    /// Queues one query into libpq's output buffer, with its sync point unless `sync` is false (a group
    /// member). Returns false when libpq refused the first command (nothing queued); a failure after that
    /// would leave libpq holding commands with no sync point, so the connection is shut down instead.
    private func send(_ request: Request, conn: OpaquePointer, sync: Bool) -> Bool {
        guard !request.isScript else { return false }
        // The query is read in place (`request.query` is a constant of the request) and the closures below
        // capture its SQL text alone: a copy of the whole query, or a closure capturing one, retains and
        // releases its text and bind buffers each time (five copies per query before).
        let sql = request.query.sql
        let n = Int32(request.query.binds.count)
        var queuedSomething = false
        let ok: Bool = request.query.binds.withUnsafeLibPQArrays { values, lengths, formats, types in
            if statements.isEnabled {
                let key = StatementCache.Key(sql: sql, types: request.query.binds.types)
                request.cacheKey = key
                // Strings go to libpq through withCString: passing a String where C wants a pointer copies
                // it into a new heap array on every call (a short name like "ps_1" included), while
                // withCString lends a native string's own NUL-terminated bytes, or a short one's copy on
                // the stack.
                if let name = statements.lookup(key) {
                    request.statementName = name
                    return name.withCString { PQsendQueryPrepared(conn, $0, n, values, lengths, formats, 1) } == 1
                }
                let name = statements.nextName()
                let prepared = name.withCString { cName in
                    sql.withCString { PQsendPrepare(conn, cName, $0, n, types) }
                }
                guard prepared == 1 else { return false }
                queuedSomething = true
                guard name.withCString({ PQsendQueryPrepared(conn, $0, n, values, lengths, formats, 1) }) == 1 else {
                    return false
                }
                if let evicted = statements.insert(key, name: name) { deallocations.append(evicted) }
                request.statementName = name
                request.sentPrepare = true
                return true
            }
            return sql.withCString { PQsendQueryParams(conn, $0, n, types, values, lengths, formats, 1) } == 1
        }
        if ok { queuedSomething = true }
        request.cancelsAtSend = cancelsIssued
        if request.mayOpenTransaction { transactionMayBeOpen = true }
        request.syncAfter = sync
        request.commandsLeft = request.sentPrepare ? 2 : 1
        request.answeredBeforeCommit = false
        if ok, sync, request.isGroupableWrite, configuration.groupsWrites, !request.sendsAlone, !transactionMayBeOpen {
            // A write going out alone, with its own sync point (a group's last member gets it in `closeGroup`).
            requestAnswerBeforeCommit(request, conn: conn, always: false)
        }
        guard ok, !sync || PQpipelineSync(conn) == 1 else {
            if queuedSomething {
                shutdown(PostgresError(code: .connection, message: "libpq refused part of a pipelined query: \(lastErrorMessage())"))
            }
            return false
        }
        return true
    }

    /// Sends `DEALLOCATE` for statements evicted from the cache, as internal requests.
    private func sendDeallocations(_ conn: OpaquePointer) {
        let names = deallocations
        deallocations.removeAll()
        for name in names {
            let sql = "DEALLOCATE " + ((try? PostgresQuery.quoteIdentifier(name)) ?? name)
            let r = Request(kind: .query(PostgresQuery(unsafeSQL: sql)))
            if PQsendQueryParams(conn, sql, 0, nil, nil, nil, nil, 1) == 1, PQpipelineSync(conn) == 1 {
                r.commandsLeft = 1
                inflight.append(r)
            }
        }
    }

    private func sendScript(_ request: Request, conn: OpaquePointer) {
        guard request.isScript else { return }
        let sql = request.sql
        guard PQexitPipelineMode(conn) == 1 else {
            complete(request, error: PostgresError(code: .protocolViolation, message: "could not leave pipeline mode: \(lastErrorMessage())", query: sql))
            return
        }
        guard PQsendQuery(conn, sql) == 1 else {
            let message = lastErrorMessage()
            _ = PQenterPipelineMode(conn)
            complete(request, error: PostgresError(code: .protocolViolation, message: message, query: sql))
            return
        }
        scriptInFlight = true
        transactionMayBeOpen = true  // a script may leave a transaction block open
        inflight.append(request)
    }

    /// Pushes libpq's output buffer to the socket; watches for writability while some remains.
    func flush() {
        guard let conn else { return }
        switch PQflush(conn) {
        case 0: setInterest(write: false)
        case 1: setInterest(write: true)
        default: shutdown(PostgresError(code: .connection, message: lastErrorMessage()))
        }
    }

    /// Reads what the server sent and completes requests whose results are all in. Loop only.
    func readResults() {
        guard let conn else { return }
        guard PQconsumeInput(conn) == 1 else {
            shutdown(PostgresError(code: .connectionClosed, message: lastErrorMessage()))
            return
        }
        // Group members skipped by the server go back to the front of `pending`, in order.
        var resent = 0
        while let head = inflight.first {
            if PQisBusy(conn) == 1 { break }
            guard let result = PQgetResult(conn) else {
                if head.isScript {
                    finishScript(head, conn: conn)
                    if case .ready = state { continue }
                    return
                }
                // The end of one command's results.
                guard head.commandsLeft > 0 else { break }
                head.commandsLeft -= 1
                if head.commandsLeft == 0 && !head.syncAfter {
                    // A group member before the group's last: complete now, the sync point comes later;
                    // a write group's member waits for it (until then its write may yet roll back).
                    inflight.removeFirst()
                    if head.inWriteGroup {
                        heldWrites.append(head)
                        continue
                    }
                    settle(head, conn: conn, resent: &resent)
                    if case .ready = state {} else { return }
                    cancelHeadIfRequested()
                }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                // COPY is not supported: end a COPY FROM STDIN with an error (the server aborts it and the
                // results go on); a COPY TO STDOUT would stream data, so the connection is closed.
                PQclear(result)
                if head.error == nil {
                    head.error = PostgresError(code: .protocolViolation, message: "COPY is not supported by this client", query: head.sql)
                }
                if status == PGRES_COPY_IN, PQputCopyEnd(conn, "COPY is not supported by this client") == 1 {
                    flush()
                    continue
                }
                shutdown(PostgresError(code: .protocolViolation, message: "COPY is not supported by this client"))
                return
            }
            if head.isScript {
                absorb(result, into: head)
                continue
            }
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                groupFailed = false
                inflight.removeFirst()
                holdTiming.answered(sentAt: head.syncSentAt, timesRoundTrip: head.timesRoundTrip, at: monotonicNanoseconds())
                if head.inWriteGroup {
                    settleWriteGroup(tail: head, conn: conn, resent: &resent)
                } else {
                    settle(head, conn: conn, resent: &resent)
                }
                if case .ready = state {} else { return }
                cancelHeadIfRequested()
                continue
            }
            absorb(result, into: head)
        }
        inflightCount.store(inflight.count, ordering: .relaxed)
        // With nothing in flight libpq knows the session's transaction status: refresh what the connection
        // remembers, so a block that ended is not taken for open later (which would stop cancels and the
        // re-running of statements hit by one).
        if inflight.isEmpty, transactionMayBeOpen { _ = outsideTransactionBlock(conn) }
        deliverNotifications(conn)
        if PQstatus(conn) == CONNECTION_BAD {
            shutdown(PostgresError(code: .connectionClosed, message: lastErrorMessage()))
        }
    }

    /// Keeps the rows of the statement's execution and the first error; frees the rest.
    private func absorb(_ result: OpaquePointer, into request: Request) {
        defer { request.resultCount += 1 }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            if request.sentPrepare && request.resultCount == 0 {
                PQclear(result)  // the Parse's result
            } else {
                if let old = request.rows { PQclear(old) }
                request.rows = result
            }
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            if !request.syncAfter { groupFailed = true }  // the rest of its group will be skipped
            if request.error == nil {
                request.error = PostgresError.server(result, query: request.sql, secrets: configuration.secrets)
                if request.sentPrepare && request.resultCount == 0, let key = request.cacheKey,
                    let name = request.statementName
                {
                    statements.remove(key, ifNamed: name)  // the statement was never created
                }
            }
            PQclear(result)
        case PGRES_PIPELINE_ABORTED:
            // An earlier step of the same request failed, or an earlier member of its read-only group did:
            // then nothing of this request ran, and it is sent again.
            PQclear(result)
            if request.error == nil && !request.aborted {
                request.aborted = true
                if request.sentPrepare, let key = request.cacheKey, let name = request.statementName {
                    statements.remove(key, ifNamed: name)  // its Parse was skipped too
                }
            }
        default:
            PQclear(result)
        }
    }

    /// Completes a request at its sync point, or retries it once when its cached statement went stale.
    func finish(_ request: Request, conn: OpaquePointer) {
        guard request.continuation != nil else {  // internal request
            request.rows.map { PQclear($0) }
            request.rows = nil
            if request.isGroupGuard, let error = request.error, error.sqlState != "57014" {
                // Should never happen (a stray cancel aside); if it does, stop grouping on this connection
                // rather than resending the group's members into the same failure.
                groupingDisabled = true
                logger.warning("read-only grouping turned off on this connection", metadata: ["error.code": "\(error.sqlState ?? "")"])
            }
            return
        }
        if var error = request.error {
            let stalePlan = error.sqlState == "0A000"
                && error.serverInfo?.message.contains("cached plan must not change result type") == true
            if let key = request.cacheKey, let name = request.statementName, stalePlan || error.sqlState == "26000" {
                // "cached plan must not change result type" / "prepared statement does not exist" (its
                // Parse was skipped, or the server lost it): forget the statement and run the request
                // again, once, if no transaction block can be open (the failed statement ran nothing, in
                // an implicit transaction of its own).
                statements.remove(key, ifNamed: name)
                if stalePlan { deallocations.append(name) }
                if !request.retried, outsideTransactionBlock(conn) {
                    request.resetForRetry()
                    pending.prepend(request)
                    return
                }
            }
            if error.sqlState == "57014" {
                if request.cancelRequested {
                    error = request.cancelAnswer(" on the server")
                } else if request.strayCancelReruns < 16, mayHaveBeenHitByOwnCancel(request),
                    Self.mayBeStrayCancel(error.serverInfo?.message ?? ""), outsideTransactionBlock(conn)
                {
                    // One of this connection's cancels, meant for a statement ahead of this one, was issued
                    // while this one was in flight and hit it. Its caller never asked; the statement ran in an
                    // implicit transaction of its own, which the cancel rolled back: run it again (it is sent
                    // after the fence lifts, so that cancel cannot reach it again). A statement hit by one
                    // cancel after another in a cancel storm is sent again each time, up to 16 times.
                    request.strayCancelReruns += 1
                    request.resetForResend()
                    pending.prepend(request)
                    return
                }
            }
            complete(request, error: error)
            return
        }
        let rows = PostgresRows(result: request.rows, query: request.sql, counter: openResults)
        request.rows = nil
        complete(request, rows: rows)
    }

    private func finishScript(_ request: Request, conn: OpaquePointer) {
        inflight.removeFirst()
        scriptInFlight = false
        if PQenterPipelineMode(conn) != 1 {
            shutdown(PostgresError(code: .protocolViolation, message: "could not re-enter pipeline mode: \(lastErrorMessage())"))
            complete(request, error: PostgresError(code: .protocolViolation, message: "connection unusable after script"))
            return
        }
        if let error = request.error {
            complete(request, error: error)
        } else {
            complete(request, rows: PostgresRows.empty(query: request.sql))
        }
        if request.rows != nil {
            PQclear(request.rows)
            request.rows = nil
        }
    }

    private func deliverNotifications(_ conn: OpaquePointer) {
        while let n = PQnotifies(conn) {
            let notification = PostgresNotification(
                channel: String(cString: n.pointee.relname),
                payload: n.pointee.extra.map { String(cString: $0) } ?? "",
                backendPID: n.pointee.be_pid)
            PQfreemem(n)
            notificationHandler?(notification)
        }
    }

    /// Whether no transaction block can be open: nothing that may open one was sent since libpq last
    /// reported the session idle (refreshed here when libpq can tell).
    func outsideTransactionBlock(_ conn: OpaquePointer) -> Bool {
        switch PQtransactionStatus(conn) {
        case PQTRANS_IDLE: transactionMayBeOpen = false
        case PQTRANS_INTRANS, PQTRANS_INERROR: transactionMayBeOpen = true
        default: break  // PQTRANS_ACTIVE while anything is in flight: keep what we know
        }
        return !transactionMayBeOpen
    }
}
