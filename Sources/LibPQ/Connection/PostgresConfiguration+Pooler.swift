extension PostgresConfiguration {
    /// What sits between this client and PostgreSQL: nothing, or a pooler that lends each transaction a
    /// server connection of its choosing (PgBouncer in transaction mode).
    ///
    /// A transaction pooler breaks three things a direct connection has: a named prepared statement lives
    /// on the server connection that parsed it, not on this client's (so a statement cache would run
    /// another client's `ps_1`, or find its own missing); `LISTEN` registers on whichever server
    /// connection ran it; and PgBouncer 1.18 refuses the startup parameter `options`, which a direct
    /// connection uses to set `TimeZone=UTC`.
    ///
    /// | | `options=-c TimeZone=UTC` | extra round trip per new connection | statement cache | `LISTEN` |
    /// |---|---|---|---|---|
    /// | ``none`` | sent | none | ``statementCacheCapacity`` | works |
    /// | ``automatic`` (default) | only when the string sets `options` | one: `SELECT pg_backend_pid(), set_config('TimeZone', 'UTC', false)` | on if direct, off if pooled | works if direct, `unsupportedStatement` if pooled |
    /// | ``pgbouncerTransaction`` | only when the string sets `options` | one: the same statement | off | `unsupportedStatement` |
    ///
    /// ``automatic`` tells a pooler by the server process id: PgBouncer hands the client a cancel key of
    /// its own (`PQbackendPID`, often negative) that differs from the server's `pg_backend_pid()`; directly
    /// they are equal. Any proxy that rewrites cancel keys is detected the same way, which is what matters:
    /// such a proxy may pool.
    public enum Pooler: Sendable, Hashable, CustomStringConvertible {
        /// Finds out on each new connection, with one statement (the default). Costs one round trip per
        /// new connection, which the pool pays rarely; the same statement sets `TimeZone` to UTC.
        case automatic
        /// A direct connection to PostgreSQL (or a session-mode pooler): the time zone travels in the
        /// startup packet, no statement runs before the first query, prepared statements are cached.
        case none
        /// PgBouncer (or any pooler) in transaction mode: unnamed statements only, `LISTEN` refused, time
        /// zone set with `set_config` after connecting (PgBouncer tracks `TimeZone` for each client and
        /// sets it again on every server connection it lends that client).
        case pgbouncerTransaction

        /// `automatic`, `none` or `pgbouncerTransaction`, as written in Swift.
        public var description: String {
            switch self {
            case .automatic: "automatic"
            case .none: "none"
            case .pgbouncerTransaction: "pgbouncerTransaction"
            }
        }
    }

    /// Whether the startup packet carries `-c TimeZone=UTC` in `options`: for ``Pooler/none``, and when
    /// the string sets `options` itself (a pooler that refuses the parameter refuses it anyway; one that
    /// accepts it is not PgBouncer 1.18).
    var sendsTimeZoneOption: Bool { pooler == .none || self["options"] != nil }
}
