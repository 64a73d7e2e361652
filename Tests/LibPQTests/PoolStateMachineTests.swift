@_spi(PoolInternals) import LibPQ
@_spi(PoolInternals) import TestSupport
import Testing

/// The pool's decisions, driven synchronously with a fake clock and no server.
@Suite struct PoolStateMachineTests {
    @Test func acquireOpensAConnectionAndReleaseMakesItIdleAgain() throws {
        let h = PoolMachineHarness()
        let (r1, a1) = h.request(.shared)
        #expect(a1.creates == [1])
        #expect(a1.leases.isEmpty)
        let established = h.establish(1)
        let lease = try #require(established.leases.first)
        #expect(lease.request == r1 && lease.connection == 1 && lease.depth == 1)
        #expect(h.release(lease).isEmpty)
        #expect(h.machine.connectionsInUse == 0)
        let (_, a2) = h.request(.exclusive)
        #expect(a2.creates.isEmpty)
        #expect(a2.leases.map(\.connection) == [1])
    }

    @Test func waiterFailsWithPoolExhaustedWhenTheAcquireTimeoutPasses() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 1; $0.acquireTimeout = .seconds(2) }
        _ = h.request(.exclusive)
        let held = try #require(h.establish(1).leases.first)
        let (waiter, a) = h.request(.exclusive)
        #expect(a.isEmpty)
        #expect(h.machine.nextDeadline == .seconds(2))
        #expect(h.advance(by: .milliseconds(1999)).failures.isEmpty)
        let failed = h.advance(by: .milliseconds(1)).failures
        #expect(failed.map(\.request) == [waiter])
        #expect(failed.first?.code == .poolExhausted)
        #expect(h.machine.waiterCount == 0)
        h.release(held)
    }

    @Test func waitQueueIsBounded() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 1; $0.maximumWaiters = 2 }
        _ = h.request(.exclusive)
        _ = try #require(h.establish(1).leases.first)
        #expect(h.request(.exclusive).actions.isEmpty)
        #expect(h.request(.shared).actions.isEmpty)
        let (third, a) = h.request(.shared)
        #expect(a.failures.map(\.request) == [third])
        #expect(a.failures.first?.code == .queueFull)
    }

    @Test func backoffGrowsExponentiallyWithinItsJitterBounds() {
        var b = PostgresPool.Configuration.Backoff()
        b.initial = .milliseconds(100)
        b.maximum = .seconds(2)
        b.multiplier = 2
        b.jitter = 0.25
        let expected: [Double] = [0.1, 0.2, 0.4, 0.8, 1.6, 2, 2, 2]
        for (i, base) in expected.enumerated() {
            let high = b.delay(afterFailures: i + 1, random: 0)
            let low = b.delay(afterFailures: i + 1, random: 0.999_999)
            #expect(abs(high.secondsValue - base) < 1e-6)
            #expect(low.secondsValue >= base * 0.75 - 1e-6 && low.secondsValue < base)
            let mid = b.delay(afterFailures: i + 1, random: 0.5)
            #expect(mid >= low && mid <= high)
        }
        #expect(b.delay(afterFailures: 1_000, random: 0) == .seconds(2))
    }

    @Test func failedConnectRetriesAfterBackoffAndWaitersFailAtTheirDeadline() {
        let h = PoolMachineHarness {
            $0.acquireTimeout = .seconds(1)
            $0.reconnectBackoff.initial = .milliseconds(100)
            $0.reconnectBackoff.jitter = 0.5
        }
        let (r, a) = h.request(.shared)
        #expect(a.creates == [1])
        // random 1.0 takes the full jitter off: 100 ms * (1 - 0.5) = 50 ms.
        #expect(h.fail(1, random: 1).isEmpty)
        #expect(h.machine.nextDeadline == .milliseconds(50))
        #expect(h.advance(by: .milliseconds(49)).creates.isEmpty)
        let retry = h.advance(by: .milliseconds(1)).creates
        #expect(retry == [2])
        // Second failure at 50 ms: 200 ms * (1 - 0.5 * 0) = 200 ms -> next attempt at 250 ms.
        h.fail(2, random: 0)
        #expect(h.advance(by: .milliseconds(199)).creates.isEmpty)
        #expect(h.advance(by: .milliseconds(1)).creates == [3])
        h.fail(3)
        let end = h.advance(by: .milliseconds(750))
        #expect(end.failures.map(\.request) == [r])
        #expect(end.failures.first?.code == .poolExhausted)
        #expect(end.failures.first?.message.contains("connection refused") == true)
        // Nobody waits any more: no further attempts.
        #expect(h.advance(by: .seconds(60)).creates.isEmpty)
    }

    @Test func sharedLeasesMultiplexUpToTheDepthThenQueue() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 2; $0.maximumPipelineDepth = 3 }
        var leases: [PoolStateMachine.Lease] = []
        for _ in 0..<6 { leases += h.request(.shared).actions.leases }
        leases += h.establishAll().leases
        #expect(h.machine.connections.count == 2)
        leases += h.establishAll().leases
        #expect(leases.count == 6)
        #expect(h.slot(1)?.shared == 3 && h.slot(2)?.shared == 3)
        let (seventh, a) = h.request(.shared)
        #expect(a.isEmpty)
        let freed = h.release(try #require(leases.first { $0.connection == 2 }))
        #expect(freed.leases.map(\.request) == [seventh])
        #expect(freed.leases.first?.connection == 2 && freed.leases.first?.depth == 3)
    }

    @Test func sharedPrefersIdleThenLeastLoadedAndGrowsInTheBackground() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 3; $0.maximumPipelineDepth = 8 }
        _ = h.request(.shared)
        let first = try #require(h.establish(1).leases.first)
        // Connection 1 is busy: the next query shares it at once while a second connection opens.
        let (_, a) = h.request(.shared)
        #expect(a.leases.map(\.connection) == [1])
        #expect(a.creates == [2])
        h.establish(2)
        // Idle connection 2 is preferred over busy connection 1.
        #expect(h.request(.shared).actions.leases.map(\.connection) == [2])
        // Both busy (1 has 2 queries, 2 has 1): least loaded wins.
        let next = h.request(.shared).actions
        #expect(next.leases.map(\.connection) == [2])
        h.release(first)
    }

    @Test func packingDepthFillsTheBusiestConnectionFirstThenSpreads() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 3; $0.maximumPipelineDepth = 8; $0.packingDepth = 3 }
        _ = h.request(.shared)
        h.establish(1)
        // Under the packing depth: more queries join connection 1 and no connection is opened.
        for _ in 0..<2 {
            let (_, a) = h.request(.shared)
            #expect(a.leases.map(\.connection) == [1])
            #expect(a.creates.isEmpty)
        }
        // Connection 1 is at the packing depth: the next query still fits there, and a second
        // connection opens in the background.
        let (_, grow) = h.request(.shared)
        #expect(grow.leases.map(\.connection) == [1])
        #expect(grow.creates == [2])
        h.establish(2)
        // Connection 2 (idle, under the depth) is filled next, the busiest under the depth first.
        #expect(h.request(.shared).actions.leases.map(\.connection) == [2])
        #expect(h.request(.shared).actions.leases.map(\.connection) == [2])
        #expect(h.slot(1)?.shared == 4 && h.slot(2)?.shared == 2)
    }

    @Test func groupableWritesGatherOnAWriteLaneThatReadsAvoid() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 2; $0.maximumPipelineDepth = 8; $0.packingDepth = 4 }
        _ = h.request(.shared)
        h.establish(1)
        // A statement that does not pack opens connection 2 (as in the test below), then finishes.
        let (_, spread) = h.request(.shared, packs: false)
        #expect(spread.creates == [2])
        h.establish(2)
        h.release(try #require(spread.leases.first))
        // Connection 1 carries a read, 2 is idle: the first write starts a lane on the idle one...
        let (_, first) = h.request(.shared, writes: true)
        #expect(first.leases.map(\.connection) == [2])
        // ...the next writes join the lane although connection 1 is as busy...
        for _ in 0..<2 { #expect(h.request(.shared, writes: true).actions.leases.map(\.connection) == [2]) }
        // ...and reads stay off it, packing onto connection 1 although the lane is busier.
        for _ in 0..<2 { #expect(h.request(.shared).actions.leases.map(\.connection) == [1]) }
        #expect(h.slot(2)?.writes == 3 && h.slot(2)?.shared == 3)
        #expect(h.slot(1)?.writes == 0 && h.slot(1)?.shared == 3)
        // Releasing a write lease counts it off the lane.
        h.release(try #require(first.leases.first))
        #expect(h.slot(2)?.writes == 2 && h.slot(2)?.shared == 2)
    }

    @Test func aLoneWriteGoesToAnIdleConnectionAndWritesGatherWhereAGroupForms() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 3; $0.maximumPipelineDepth = 8; $0.packingDepth = 4 }
        // Connections 1 and 2 open and idle.
        _ = h.request(.shared)
        let read = h.establish(1).leases
        let (_, spread) = h.request(.shared, packs: false)
        #expect(spread.creates == [2])
        h.establish(2)
        h.release(try #require(read.first))
        h.release(try #require(spread.leases.first))
        #expect(h.slot(1)?.shared == 0 && h.slot(2)?.shared == 0)
        // The first write takes an idle connection; the second does not wait behind its commit but takes
        // the other idle one.
        let (_, first) = h.request(.shared, writes: true)
        let firstConnection = try #require(first.leases.first?.connection)
        let (_, second) = h.request(.shared, writes: true)
        let secondConnection = try #require(second.leases.first?.connection)
        #expect(secondConnection != firstConnection)
        #expect(second.creates.isEmpty)
        // With no idle connection left, the third joins a lone write (it will wait for that commit) and
        // the pool opens connection 3 for the next lone write.
        let (_, third) = h.request(.shared, writes: true)
        let thirdConnection = try #require(third.leases.first?.connection)
        #expect([firstConnection, secondConnection].contains(thirdConnection))
        #expect(third.creates == [3])
        // Where two writes are, a group is forming: the next writes join it, ahead of the idle connection
        // that just opened and of the other lone write.
        h.establish(3)
        for _ in 0..<2 {
            #expect(h.request(.shared, writes: true).actions.leases.map(\.connection) == [thirdConnection])
        }
        #expect(h.slot(thirdConnection)?.writes == 4)
        #expect(h.slot(3)?.shared == 0)
    }

    @Test func onlyReadOnlyQueriesArePackedOtherStatementsSpread() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 2; $0.maximumPipelineDepth = 8; $0.packingDepth = 4 }
        _ = h.request(.shared)
        h.establish(1)
        // A write is spread as with depth 1: it shares busy connection 1 for now, and connection 2 opens.
        let (_, write) = h.request(.shared, packs: false)
        #expect(write.leases.map(\.connection) == [1])
        #expect(write.creates == [2])
        h.establish(2)
        // Reads pack onto the busiest connection under the depth (1, not idle 2)...
        #expect(h.request(.shared).actions.leases.map(\.connection) == [1])
        #expect(h.request(.shared).actions.leases.map(\.connection) == [1])
        // ...and the next write goes to the idle one.
        #expect(h.request(.shared, packs: false).actions.leases.map(\.connection) == [2])
        #expect(h.slot(1)?.shared == 4 && h.slot(2)?.shared == 1)
    }

    @Test func exclusiveLeasePinsItsConnection() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 1; $0.maximumPipelineDepth = 4 }
        _ = h.request(.exclusive)
        let pinned = try #require(h.establish(1).leases.first)
        #expect(pinned.kind == .exclusive)
        let (shared, a) = h.request(.shared)
        #expect(a.isEmpty)  // no room: the only connection is pinned
        let after = h.release(pinned)
        #expect(after.leases.map(\.request) == [shared])
    }

    @Test func exclusiveRequestDrainsABusyConnectionAndKeepsNewSharedWorkOut() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 2; $0.maximumPipelineDepth = 4 }
        // Two open connections, then five queries spread over them (3 + 2).
        _ = h.request(.exclusive)
        _ = h.request(.exclusive)
        for l in h.establishAll().leases { h.release(l) }
        var shared: [PoolStateMachine.Lease] = []
        for _ in 0..<5 { shared += h.request(.shared).actions.leases }
        #expect(shared.count == 5)
        let onOne = shared.filter { $0.connection == 1 }
        let onTwo = shared.filter { $0.connection == 2 }
        // At the maximum and no connection idle: the least loaded one is reserved for the transaction.
        let (tx, a) = h.request(.exclusive)
        #expect(a.isEmpty)
        let lighter = onOne.count <= onTwo.count ? 1 : 2
        #expect(h.slot(lighter)?.reserved == true)
        // New shared work avoids the reserved connection.
        let more = h.request(.shared).actions.leases
        #expect(more.map(\.connection) == [3 - lighter])
        // Its in-flight queries drain; the last release hands it over, pinned.
        let drained = lighter == 1 ? onOne : onTwo
        for l in drained.dropLast() { #expect(h.release(l).leases.isEmpty) }
        let handed = h.release(drained.last!).leases
        #expect(handed.map(\.request) == [tx])
        #expect(handed.first?.kind == .exclusive && handed.first?.connection == lighter)
        #expect(h.slot(lighter)?.pinned == true && h.slot(lighter)?.reserved == false)
    }

    @Test func cancelledWaiterFailsAndItsReservationIsReleased() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 1 }
        _ = h.request(.shared)
        _ = try #require(h.establish(1).leases.first)
        let (tx, _) = h.request(.exclusive)
        #expect(h.slot(1)?.reserved == true)
        let a = h.cancel(tx)
        #expect(a.failures.map(\.code) == [.cancelled])
        #expect(h.slot(1)?.reserved == false)
        #expect(h.cancel(tx).isEmpty)
    }

    @Test func idleConnectionsAboveTheMinimumCloseAfterTheIdleTimeout() throws {
        let h = PoolMachineHarness {
            $0.minimumConnections = 1
            $0.idleTimeout = .seconds(60)
            $0.healthCheckInterval = nil
            $0.maximumConnectionLifetime = nil
        }
        #expect(h.advance(by: .zero).creates == [1])
        h.establish(1)
        let lease = try #require(h.request(.exclusive).actions.leases.first)
        let second = h.request(.exclusive).actions
        #expect(second.creates == [2])
        let lease2 = try #require(h.establish(2).leases.first)
        h.release(lease)
        h.advance(by: .seconds(30))
        h.release(lease2)
        // Connection 1 idle since 0 s: closed at 60 s; connection 2 idle since 30 s is the minimum now.
        #expect(h.advance(by: .seconds(30)).closes == [1])
        h.closed(1)
        #expect(h.advance(by: .seconds(120)).closes.isEmpty)
        #expect(h.machine.openConnections == 1)
    }

    @Test func connectionsPastTheirLifetimeCloseWhenIdleAndTakeNoNewWork() throws {
        let h = PoolMachineHarness {
            $0.maximumConnectionLifetime = .seconds(100)
            $0.idleTimeout = nil
            $0.healthCheckInterval = nil
            $0.maximumPipelineDepth = 4
        }
        _ = h.request(.shared)
        let busy = try #require(h.establish(1).leases.first)
        #expect(h.advance(by: .seconds(100)).closes.isEmpty)  // still in use
        #expect(h.slot(1)?.expired == true)
        // New work goes to a new connection, not the expired one.
        let next = h.request(.shared).actions
        #expect(next.leases.isEmpty)
        #expect(next.creates == [2])
        #expect(h.establish(2).leases.map(\.connection) == [2])
        #expect(h.release(busy).closes == [1])
    }

    @Test func idleConnectionsAreHealthCheckedAndReplacedWhenUnhealthy() throws {
        let h = PoolMachineHarness {
            $0.minimumConnections = 1
            $0.maximumConnections = 1
            $0.healthCheckInterval = .seconds(30)
            $0.idleTimeout = nil
            $0.maximumConnectionLifetime = nil
        }
        h.advance(by: .zero)
        h.establish(1)
        #expect(h.advance(by: .seconds(29)).healthChecks.isEmpty)
        #expect(h.advance(by: .seconds(1)).healthChecks == [1])
        // While checking it serves nobody.
        let (waiter, a) = h.request(.exclusive)
        #expect(a.leases.isEmpty && a.creates.isEmpty)
        let ok = h.healthCheck(1, healthy: true)
        #expect(ok.leases.map(\.request) == [waiter])
        h.release(ok.leases[0])
        #expect(h.advance(by: .seconds(30)).healthChecks == [1])
        let bad = h.healthCheck(1, healthy: false)
        #expect(bad.closes == [1])
        #expect(h.closed(1).creates == [2])  // back to the minimum
    }

    @Test func connectionLostByTheServerIsReplacedForWaiters() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 1 }
        _ = h.request(.exclusive)
        let held = try #require(h.establish(1).leases.first)
        let (waiter, _) = h.request(.shared)
        #expect(h.closed(1).creates == [2])  // e.g. pg_terminate_backend
        #expect(h.release(held).isEmpty)  // the old lease no longer counts
        #expect(h.establish(2).leases.map(\.request) == [waiter])
    }

    @Test func shutdownFailsWaitersDrainsLeasesAndFinishesWhenAllAreClosed() throws {
        let h = PoolMachineHarness { $0.maximumConnections = 2 }
        _ = h.request(.exclusive)
        _ = h.request(.exclusive)
        let leases = h.establishAll().leases
        #expect(leases.count == 2)
        let (waiter, _) = h.request(.shared)
        h.release(leases[1])  // hands connection 2 to the waiter
        let waiterLease = try #require(h.machine.connections.first { $0.id == 2 && $0.shared == 1 })
        _ = waiterLease
        let (queued, _) = h.request(.exclusive)
        let down = h.shutdown()
        #expect(down.failures.map(\.request) == [queued])
        #expect(down.failures.first?.code == .poolShutdown)
        #expect(down.closes.isEmpty && !down.finishedShutdown)
        #expect(h.request(.shared).actions.failures.first?.code == .poolShutdown)
        #expect(h.release(leases[0]).closes == [1])
        let shared = PoolStateMachine.Lease(request: waiter, connection: 2, kind: .shared, depth: 1)
        #expect(h.release(shared).closes == [2])
        #expect(!h.closed(1).finishedShutdown)
        #expect(h.closed(2).finishedShutdown)
        #expect(h.machine.isShutDown)
    }

    @Test func shutdownClosesConnectionsThatOpenAfterIt() {
        let h = PoolMachineHarness()
        _ = h.request(.shared)
        let down = h.shutdown()
        #expect(down.failures.count == 1 && !down.finishedShutdown)
        #expect(h.establish(1).closes == [1])
        #expect(h.closed(1).finishedShutdown)
    }
}

/// Several event loops (``PostgresPool/Configuration/eventLoops``): the machine only counts them.
@Suite struct PoolStateMachineEventLoopTests {
    static func loops(_ n: Int) -> (inout PostgresPool.Configuration) -> Void {
        { $0.eventLoops = PostgresEventLoop.epollLoops(n) }
    }

    @Test func callersGetConnectionsOfTheirOwnLoopAndBorrowOnlyWhenTheirLoopHasNone() throws {
        let h = PoolMachineHarness { Self.loops(2)(&$0); $0.maximumConnections = 4 }
        let (_, first) = h.request(.shared, loop: 1)
        #expect(first.creates == [1])
        #expect(h.loop(of: 1) == 1)
        #expect(h.establish(1).leases.map(\.connection) == [1])
        // Loop 0 has no connection yet: borrow loop 1's, and open one for loop 0 meanwhile.
        let (_, borrowed) = h.request(.shared, loop: 0)
        #expect(borrowed.leases.map(\.connection) == [1])
        #expect(borrowed.creates == [2])
        #expect(h.loop(of: 2) == 0)
        h.establish(2)
        #expect(h.request(.shared, loop: 0).actions.leases.map(\.connection) == [2])
        // Both connections are busy: loop 1's caller stays on its own (now 3 deep) rather than crossing
        // to connection 2 (1 deep), and the pool grows on loop 1, within its share of 4.
        let own = h.request(.shared, loop: 1).actions
        #expect(own.leases.map(\.connection) == [1])
        #expect(own.leases.first?.depth == 3)
        #expect(own.creates == [3])
        #expect(h.loop(of: 3) == 1)
        // A caller on no loop takes any connection, as with one loop.
        h.establish(3)
        #expect(h.request(.shared).actions.leases.map(\.connection) == [3])
    }

    @Test func anIdleConnectionOfAnotherLoopIsTakenBeforePilingOntoABusyOwnOne() throws {
        let h = PoolMachineHarness { Self.loops(2)(&$0); $0.maximumConnections = 2 }
        _ = h.request(.shared, loop: 0)
        #expect(h.establish(1).leases.map(\.connection) == [1])
        // Connection 1 is busy: the second lease shares it, and the second connection opens on loop 1
        // (loop 0 holds its share, 1 of 2).
        let (_, second) = h.request(.shared, loop: 0)
        #expect(second.leases.map(\.connection) == [1])
        #expect(second.creates == [2])
        #expect(h.loop(of: 2) == 1)
        h.establish(2)
        // Spreading (packingDepth 1) comes before affinity: idle connection 2 takes loop 0's next write.
        #expect(h.request(.shared, loop: 0, packs: false).actions.leases.map(\.connection) == [2])
    }

    @Test func aBorrowedConnectionOpensNoneWhenTheCallersLoopHoldsItsShare() throws {
        let h = PoolMachineHarness { Self.loops(2)(&$0); $0.maximumConnections = 4; $0.packingDepth = 4 }
        _ = h.request(.exclusive, loop: 0)
        #expect(h.establish(1).leases.map(\.connection) == [1])
        #expect(h.request(.exclusive, loop: 0).actions.creates == [2])
        #expect(h.establish(2).leases.map(\.connection) == [2])
        #expect(h.loop(of: 1) == 0 && h.loop(of: 2) == 0)
        #expect(h.request(.shared, loop: 1).actions.creates == [3])
        #expect(h.establish(3).leases.map(\.connection) == [3])
        #expect(h.loop(of: 3) == 1)
        // Loop 0's connections are both pinned and it holds its share (2 of 4): its caller borrows
        // connection 3, under the packing depth, and nothing is opened.
        let (_, borrowed) = h.request(.shared, loop: 0)
        #expect(borrowed.leases.map(\.connection) == [3])
        #expect(borrowed.creates.isEmpty)
    }

    @Test func connectionsForWaitersGoToTheLoopsThatHaveNone() throws {
        let h = PoolMachineHarness { Self.loops(2)(&$0); $0.maximumConnections = 4 }
        let (w0, a0) = h.request(.exclusive, loop: 0)
        #expect(a0.creates == [1])
        let (w1, a1) = h.request(.exclusive, loop: 1)
        #expect(a1.creates == [2])
        #expect(h.loop(of: 1) == 0 && h.loop(of: 2) == 1)
        // Waiters are served in arrival order, whichever loop's connection opens first.
        #expect(h.establish(2).leases.map(\.request) == [w0])
        #expect(h.establish(1).leases.map(\.request) == [w1])
    }

    @Test func everyLoopGetsAConnectionBeforeAnyGetsASecond() throws {
        let h = PoolMachineHarness { Self.loops(4)(&$0); $0.maximumConnections = 5 }
        for _ in 0..<5 {
            _ = h.request(.exclusive, loop: 0)
            h.establishAll()
        }
        #expect(h.machine.connections.map(\.loop) == [0, 1, 2, 3, 0])
    }

    @Test func aLoopIndexIsIgnoredWithoutEventLoopsAndALoopListedTwiceCountsOnce() throws {
        let h = PoolMachineHarness()
        let (_, a) = h.request(.shared, loop: 5)
        #expect(a.creates == [1])
        #expect(h.loop(of: 1) == 0)
        #expect(h.establish(1).leases.map(\.connection) == [1])
        let twice = PoolMachineHarness { $0.eventLoops = [.epoll, .epoll]; $0.maximumConnections = 2 }
        _ = twice.request(.exclusive, loop: 1)
        #expect(twice.loop(of: 1) == 0)
    }
}

extension Duration {
    var secondsValue: Double {
        let (s, a) = components
        return Double(s) + Double(a) * 1e-18
    }
}
