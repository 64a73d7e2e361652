@_spi(PoolInternals) public import LibPQ

/// Drives a ``PoolStateMachine`` synchronously with a fake clock, standing in for the connection factory:
/// connections the machine asks for stay "connecting" until the test calls ``establish(_:)`` or
/// ``fail(_:random:)``.
@_spi(PoolInternals)
public final class PoolMachineHarness {
    public typealias Action = PoolStateMachine.Action
    public typealias Lease = PoolStateMachine.Lease

    public var machine: PoolStateMachine
    public let clock = FakePoolClock()
    public let configuration: PostgresPool.Configuration
    private var nextRequest = 0
    /// Connections asked for and not yet established or failed.
    public private(set) var connecting: [Int] = []

    public init(_ configure: (inout PostgresPool.Configuration) -> Void = { _ in }) {
        var c = PostgresPool.Configuration()
        // The placement tests start from spreading (every query to an idle connection first); those about
        // packing set their depth.
        c.packingDepth = 1
        configure(&c)
        configuration = c
        machine = PoolStateMachine(configuration: c)
    }

    public var now: Duration { clock.now }

    @discardableResult
    private func track(_ actions: [Action]) -> [Action] {
        connecting += actions.creates
        return actions
    }

    /// Requests a lease waiting at most `timeout` (default: the configuration's acquire timeout), for a
    /// caller running on event loop `loop` (none by default); `packs` false for a statement that is not
    /// read-only.
    public func request(
        _ kind: PoolStateMachine.LeaseKind, timeout: Duration? = nil, loop: Int? = nil, packs: Bool = true,
        writes: Bool = false
    ) -> (id: Int, actions: [Action]) {
        nextRequest += 1
        let deadline = now + (timeout ?? configuration.acquireTimeout)
        return (
            nextRequest,
            track(
                machine.leaseRequested(
                    nextRequest, kind: kind, now: now, deadline: deadline, loop: loop, packs: packs, writes: writes))
        )
    }

    /// The event loop index of connection `id`.
    public func loop(of id: Int) -> Int? { machine.connections.first { $0.id == id }?.loop }

    @discardableResult
    public func release(_ lease: Lease, reusable: Bool = true) -> [Action] {
        track(machine.leaseReleased(lease, reusable: reusable, now: now))
    }

    @discardableResult
    public func establish(_ id: Int) -> [Action] {
        connecting.removeAll { $0 == id }
        return track(machine.connectionEstablished(id, now: now))
    }

    /// Establishes every connection asked for; returns all resulting actions.
    @discardableResult
    public func establishAll() -> [Action] {
        var out: [Action] = []
        while let id = connecting.first { out += establish(id) }
        return out
    }

    /// Fails connection `id` with `error` (default: a transient "connection refused").
    @discardableResult
    public func fail(
        _ id: Int, random: Double = 0, error: PostgresError = PostgresError(code: .connection, message: "connection refused")
    ) -> [Action] {
        connecting.removeAll { $0 == id }
        return track(machine.connectionFailed(id, error: error, now: now, random: random))
    }

    @discardableResult
    public func closed(_ id: Int) -> [Action] { track(machine.connectionClosed(id, now: now)) }

    @discardableResult
    public func cancel(_ request: Int) -> [Action] { track(machine.requestCancelled(request, now: now)) }

    @discardableResult
    public func healthCheck(_ id: Int, healthy: Bool) -> [Action] {
        track(machine.healthCheckFinished(id, healthy: healthy, now: now))
    }

    @discardableResult
    public func advance(by d: Duration) -> [Action] {
        clock.advance(by: d)
        return track(machine.timeAdvanced(now: now))
    }

    @discardableResult
    public func shutdown() -> [Action] { track(machine.shutdown(now: now)) }

    /// The state of a connection.
    public func slot(_ id: Int) -> ConnectionSlot? { machine.connections.first { $0.id == id } }
}

@_spi(PoolInternals)
extension Array where Element == PoolStateMachine.Action {
    /// Connections to create.
    public var creates: [Int] { compactMap { if case .createConnection(let id) = $0 { id } else { nil } } }
    /// Leases handed out.
    public var leases: [PoolStateMachine.Lease] { compactMap { if case .lease(let l) = $0 { l } else { nil } } }
    /// Requests failed, with their error codes.
    public var failures: [(request: Int, code: PostgresError.Code, message: String)] {
        compactMap { if case .failRequest(let id, let e) = $0 { (id, e.code, e.message) } else { nil } }
    }
    /// Connections to close.
    public var closes: [Int] { compactMap { if case .closeConnection(let id) = $0 { id } else { nil } } }
    /// Health checks to run.
    public var healthChecks: [Int] { compactMap { if case .runHealthCheck(let id) = $0 { id } else { nil } } }
    /// Whether shutdown finished.
    public var finishedShutdown: Bool { contains { if case .shutdownFinished = $0 { true } else { false } } }
}
