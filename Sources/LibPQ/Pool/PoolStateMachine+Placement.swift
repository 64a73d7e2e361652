// Where leases go and which event loop a new connection joins: the pure queries the events in
// PoolStateMachine.swift use to decide.
extension PoolStateMachine {
    /// Where a request of `kind` from a caller on `loop` can go right now. Shared: its loop's best
    /// connection under the packing depth, else any loop's, else its loop's least loaded with room, else
    /// any loop's; exclusive: an idle connection of its loop, else any idle one.
    func place(_ kind: LeaseKind, loop: Int?, packs: Bool, writes: Bool = false) -> Int? {
        let packing = packing(packs)
        let lane: Lane = !packs || packing == 1 ? .any : (writes ? .writes : .reads)
        guard let loop, loopCount > 1 else {
            let any = candidates(kind, on: nil, packing: packing, lane: lane)
            return any.packed ?? any.spread
        }
        let own = candidates(kind, on: loop, packing: packing, lane: lane)
        if let i = own.packed { return i }
        let any = candidates(kind, on: nil, packing: packing, lane: lane)
        return any.packed ?? own.spread ?? any.spread
    }

    /// Which connections a packing request prefers under the packing depth. Read-only queries prefer
    /// connections carrying no writes, where they do not wait behind a commit. Writes prefer, in order:
    ///
    /// 1. a write lane where a group is forming: a connection carrying two writes or more (one committing
    ///    and others waiting for it, or a group in flight). The write waits for that commit and goes out
    ///    in the next group, sharing its commit;
    /// 2. an idle connection, where it commits at once, alongside the other lanes' commits;
    /// 3. a connection carrying one write, which commits first; the write then waits for it
    ///    (``leaseRequested(_:kind:now:deadline:loop:packs:writes:into:)`` opens a connection, if it may,
    ///    so that the next such write finds an idle one).
    ///
    /// So a lone write never waits for another caller's commit while a connection is idle (measured: mixed
    /// reads and writes at 16 and 64 callers +16% and +40%), and writes that come faster than one commit
    /// still gather into groups behind it (durable creates at 16 callers unchanged). Within the preferred
    /// class, the busiest connection (the fullest groups).
    enum Lane {
        case any, reads, writes

        /// Higher is preferred.
        func rank(_ c: ConnectionSlot) -> Int {
            switch self {
            case .any: 0
            case .reads: c.writes == 0 ? 1 : 0
            case .writes: c.writes >= 2 ? 3 : (c.shared == 0 ? 2 : (c.writes > 0 ? 1 : 0))
            }
        }
    }

    func packing(_ packs: Bool) -> Int { packs ? configuration.packingDepth : 1 }

    /// The connections a request of `kind` could take right now, among those of `loop` (all when `nil`).
    ///
    /// Shared: `packed` is the busiest connection still under the packing depth
    /// (``PostgresPool/Configuration/packingDepth``; an idle one when that is 1), `spread` the least
    /// loaded one with room in its pipeline. Exclusive: `packed` is an idle connection.
    func candidates(_ kind: LeaseKind, on loop: Int?, packing: Int, lane: Lane = .any) -> (packed: Int?, spread: Int?) {
        var packed: Int?
        var spread: Int?
        for i in connections.indices {
            let c = connections[i]
            guard c.state == .open, !c.pinned, !c.checking, !c.expired, loop == nil || c.loop == loop else { continue }
            switch kind {
            case .exclusive:
                if c.shared == 0 { return (i, nil) }  // reserved ones included: that is what they wait for
            case .shared:
                guard !c.reserved, c.shared < configuration.maximumPipelineDepth else { continue }
                if c.shared < packing {
                    if let p = packed {
                        let (rank, best) = (lane.rank(c), lane.rank(connections[p]))
                        if rank > best || (rank == best && c.shared > connections[p].shared) { packed = i }
                    } else {
                        packed = i
                    }
                } else if spread == nil || c.shared < connections[spread!].shared {
                    spread = i
                }
            }
        }
        return (packed, spread)
    }

    /// The preferred loop while it holds less than its share of the maximum, else the loop with the
    /// fewest connections (the lowest index on a tie).
    func loopForNewConnection(preferring loop: Int?) -> Int {
        guard loopCount > 1 else { return 0 }
        let counts = connectionsPerLoop()
        if let loop, counts[loop] < loopShare { return loop }
        return counts.indices.min { counts[$0] < counts[$1] } ?? 0
    }

    /// Connections open or being opened on each loop.
    func connectionsPerLoop() -> [Int] {
        var counts = [Int](repeating: 0, count: loopCount)
        for c in connections where c.state != .closing { counts[c.loop] += 1 }
        return counts
    }

    /// How many connections each loop may claim for its own callers: the maximum divided by the number
    /// of loops, rounded down so that every loop can have its share, and at least 1.
    var loopShare: Int { max(1, configuration.maximumConnections / loopCount) }

    func loopHasRoom(_ loop: Int) -> Bool {
        loopCount > 1 && connectionsPerLoop()[loop] < loopShare
    }

    /// Among the loops of waiting callers, the one with the fewest connections (the earliest waiter's on
    /// a tie); nil when no waiter runs on a loop.
    func loopWaitersNeedMost() -> Int? {
        guard loopCount > 1 else { return nil }
        let counts = connectionsPerLoop()
        var best: Int?
        for w in waiters {
            guard let l = w.loop else { continue }
            if best == nil || counts[l] < counts[best!] { best = l }
        }
        return best
    }
}
