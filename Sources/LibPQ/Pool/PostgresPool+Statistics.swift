extension PostgresPool {
    /// A snapshot of the pool's connections and waiters.
    public struct Statistics: Sendable, Hashable {
        /// Connections open.
        public var openConnections: Int
        /// Open connections with at least one lease.
        public var connectionsInUse: Int
        /// Connections being opened.
        public var connecting: Int
        /// Callers waiting for a connection.
        public var waiters: Int
    }

    /// The pool's current numbers (also published as metrics).
    public var statistics: Statistics {
        state.withLock { s in
            Statistics(
                openConnections: s.machine.openConnections, connectionsInUse: s.machine.connectionsInUse,
                connecting: s.machine.connectingConnections, waiters: s.machine.waiterCount)
        }
    }
}
