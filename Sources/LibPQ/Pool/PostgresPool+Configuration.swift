extension PostgresPool {
    /// How a ``PostgresPool`` sizes, shares and maintains its connections.
    ///
    /// Every time-based option (idle timeout, lifetime, health checks, reconnect backoff, minimum
    /// connections) is enforced by the pool's ``PostgresPool/run()``; acquire timeouts are enforced by the
    /// waiting caller and work with or without `run()`.
    public struct Configuration: Sendable {
        /// Connections the pool keeps open even when idle (opened by `run()`). Default 0.
        public var minimumConnections: Int = 0

        /// The most connections open (or being opened, or being closed) at once. Default 8.
        public var maximumConnections: Int = 8

        /// How long opening one connection may take. Overrides the connection configuration's
        /// ``PostgresConfiguration/connectTimeout``. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)

        /// How long a caller waits for a connection before failing with ``PostgresError/Code/poolExhausted``
        /// (also when the server is unreachable: the message then carries the last connect error).
        /// Default 10 s.
        public var acquireTimeout: Duration = .seconds(10)

        /// How many callers may wait for a connection; one more fails at once with
        /// ``PostgresError/Code/queueFull``. Default 1024.
        public var maximumWaiters: Int = 1024

        /// An idle connection above ``minimumConnections`` is closed after this long unused. `nil` keeps
        /// idle connections. Default 60 s.
        public var idleTimeout: Duration? = .seconds(60)

        /// A connection is closed (when next idle) this long after it was opened. `nil`: no limit.
        /// Default 30 minutes.
        public var maximumConnectionLifetime: Duration? = .seconds(30 * 60)

        /// An idle connection runs `SELECT 1` after this long without use; one that fails it is closed and
        /// replaced. `nil` turns health checks off. Default 30 s.
        public var healthCheckInterval: Duration? = .seconds(30)

        /// How many plain queries (shared leases) one connection carries at once in its pipeline.
        /// 1 turns automatic pipelining off. Default 16.
        public var maximumPipelineDepth: Int = 16

        /// How many groupable queries a connection takes before the pool spreads them to another one:
        /// read-only queries (``PostgresQuery/isReadOnly``) and, while
        /// ``PostgresConfiguration/groupsWrites`` is on, single `INSERT`/`UPDATE`/`DELETE` statements.
        /// Packed onto fewer connections, concurrent queries form larger groups (read-only groups, and
        /// write groups that share one commit), so the server does fewer round trips, wake-ups,
        /// transactions and WAL flushes for the same work. Default 16 (the default
        /// ``maximumPipelineDepth``): measured on the benchmark's 2-core machine, lookups from 16 plain
        /// tasks made 49k/s with it against 34k/s with 1 (server CPU per lookup 19 against 34 µs), and
        /// durable creates 14k/s against 10k/s (see Benchmarks/RESULTS.md). With 1 a query goes to an idle
        /// connection when there is one, so concurrent queries run on as many server processes as
        /// possible: choose it when the database server has idle cores to spare and the latency of
        /// moderately concurrent queries matters more than its CPU. Other statements always spread.
        /// Read-only queries prefer connections that carry no writes (they would wait behind a commit);
        /// a write joins a connection where writes already wait for a commit (its group is forming), else
        /// takes an idle connection, so a lone write never waits for another caller's commit while a
        /// connection is idle. Clamped to 1...``maximumPipelineDepth``.
        public var packingDepth: Int = 16

        /// The delay before reconnecting after failed connection attempts.
        public var reconnectBackoff: Backoff = Backoff()

        /// The event loops the pool's connections run on, spread evenly over them. Empty (the default):
        /// every connection runs on the connection configuration's ``PostgresConfiguration/eventLoop``.
        ///
        /// With several loops (``PostgresEventLoop/epollLoops(_:)``, one per core), results are read and
        /// decoded, and callers resumed, on several threads instead of one. A caller that runs on one of
        /// these loops (its task prefers the loop's ``PostgresEventLoop/taskExecutor``) is given a
        /// connection of its own loop first at each step of the placement rules (under ``packingDepth``,
        /// then any with room), so its query is sent and answered without a thread switch; with
        /// ``packingDepth`` 1 it still takes an idle connection of another loop before sharing a busy one
        /// of its own. Callers on other executors take any connection, as with one loop. Each loop claims up to ``maximumConnections``
        /// divided by the number of loops for its callers, so give the pool at least as many connections as
        /// loops. A loop listed twice counts once.
        public var eventLoops: [PostgresEventLoop] = []

        /// Creates the default configuration.
        public init() {}

        /// Exponential backoff with jitter: after the n-th consecutive failed connection attempt the pool
        /// waits `min(maximum, initial * multiplier^(n-1))`, reduced by up to `jitter` of itself at random.
        public struct Backoff: Sendable, Hashable {
            /// The delay after the first failure. Default 100 ms.
            public var initial: Duration = .milliseconds(100)
            /// The longest delay. Default 30 s.
            public var maximum: Duration = .seconds(30)
            /// The growth per failure. Default 2.
            public var multiplier: Double = 2
            /// The fraction (0...1) of a delay that may be taken off at random. Default 0.25.
            public var jitter: Double = 0.25

            /// Creates the default backoff.
            public init() {}

            /// The delay after `failures` consecutive failures (at least 1), given `random` in `0..<1`.
            public func delay(afterFailures failures: Int, random: Double) -> Duration {
                let exponent = Double(max(0, failures - 1))
                let base = min(maximum.seconds, initial.seconds * pow2(multiplier, exponent))
                let jitter = min(1, max(0, self.jitter)) * min(1, max(0, random))
                return .nanoseconds(Int64((base * (1 - jitter) * 1e9).rounded()))
            }

            private func pow2(_ base: Double, _ exponent: Double) -> Double {
                var result = 1.0
                var e = Int(exponent)
                while e > 0, result < 1e12 {
                    result *= base
                    e -= 1
                }
                return result
            }
        }

        /// Clamps nonsensical values.
        var normalized: Configuration {
            var c = self
            c.maximumConnections = max(1, c.maximumConnections)
            c.minimumConnections = min(max(0, c.minimumConnections), c.maximumConnections)
            c.maximumPipelineDepth = max(1, c.maximumPipelineDepth)
            c.packingDepth = min(max(1, c.packingDepth), c.maximumPipelineDepth)
            c.maximumWaiters = max(0, c.maximumWaiters)
            // A loop listed twice would have connections no caller counts as its own.
            var loops: [PostgresEventLoop] = []
            for loop in c.eventLoops where !loops.contains(where: { $0.isSame(as: loop) }) { loops.append(loop) }
            c.eventLoops = loops
            return c
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }

    /// For messages: "10 s", "1.5 s", "250 ms", "0.3 ms".
    var readable: String {
        let s = seconds
        func trimmed(_ v: Double) -> String {
            let rounded = (v * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        }
        if s >= 1 { return trimmed(s) + " s" }
        return trimmed(s * 1000) + " ms"
    }
}
