/// The pool's view of one connection.
@_spi(PoolInternals)
public struct ConnectionSlot: Sendable, Hashable {
    public enum State: Sendable, Hashable { case connecting, open, closing }

    public let id: PoolStateMachine.ConnectionID
    public internal(set) var state: State = .connecting
    /// Shared leases in flight.
    public internal(set) var shared = 0
    /// Of those, leases for groupable writes (``PostgresPool/Configuration/packingDepth``): the
    /// connection is a write lane, where writes gather into groups that share a commit and which
    /// read-only queries avoid (they would wait behind the commit).
    public internal(set) var writes = 0
    /// Held by an exclusive lease.
    public internal(set) var pinned = false
    /// Promised to an exclusive waiter: takes no new shared work while its in-flight work drains.
    public internal(set) var reserved = false
    /// Running a health check.
    public internal(set) var checking = false
    /// The event loop it runs on: an index into ``PostgresPool/Configuration/eventLoops`` (0 with none).
    public internal(set) var loop = 0
    /// Past its maximum lifetime: closed when next idle.
    public internal(set) var expired = false
    var openedAt: Duration = .zero
    var idleSince: Duration = .zero
    var lastActivity: Duration = .zero

    init(id: PoolStateMachine.ConnectionID) { self.id = id }

    var isIdle: Bool { shared == 0 && !pinned }
}
