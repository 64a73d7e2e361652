public import LibPQ
public import Logging
public import ServiceLifecycle
import Synchronization

/// Evicts the sessions other processes change from a store's cache: it `LISTEN`s on the store's
/// ``SessionStore/Configuration/invalidationChannel`` on a dedicated connection and evicts the key each
/// notification names (payload `<instance id>:<sha256 of the token>`, the store's own skipped).
///
/// Each (re)connection runs `LISTEN` and then clears the store's cache, since notifications sent while
/// nobody listened are lost (turn that off with `clearsCacheOnConnect: false` for a cache shared between
/// processes, which needs no listener anyway: every store evicts from it directly). A health check (`SELECT 1`) notices a broken connection; the listener then
/// reconnects after `reconnectDelay`. Stops on graceful shutdown.
public final class SessionInvalidationListener: Service, Sendable {
    let store: SessionStore
    let connect: @Sendable () async throws -> PostgresConnection
    let reconnectDelay: Duration
    let healthCheckInterval: Duration
    let clearsCacheOnConnect: Bool
    let logger: Logger
    private let state = Mutex<(listening: Bool, connections: Int)>((false, 0))

    /// Creates a listener for `store`.
    ///
    /// - Parameters:
    ///   - store: the store whose cache is kept current; it names the channel
    ///     (``SessionStore/Configuration/invalidationChannel``).
    ///   - reconnectDelay: how long to wait before reconnecting after the connection broke; positive.
    ///   - healthCheckInterval: how often `SELECT 1` checks the connection; positive.
    ///   - clearsCacheOnConnect: whether each (re)connection clears the store's cache (notifications sent
    ///     while nobody listened are lost); turn it off for a cache shared between processes.
    ///   - logger: where it logs: listening at `debug`, failures at `warning`.
    ///   - connect: opens the dedicated connection (called again after each disconnect). The connection
    ///     must reach the same database as the store; its `search_path` does not matter.
    public init(
        store: SessionStore,
        reconnectDelay: Duration = .seconds(1),
        healthCheckInterval: Duration = .seconds(5),
        clearsCacheOnConnect: Bool = true,
        logger: Logger = Logger(label: "Sessions.listener", factory: { _ in SwiftLogNoOpLogHandler() }),
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) {
        self.store = store
        self.connect = connect
        self.reconnectDelay = reconnectDelay
        self.healthCheckInterval = healthCheckInterval
        self.clearsCacheOnConnect = clearsCacheOnConnect
        self.logger = logger
    }

    /// Whether the listener is connected and listening now.
    public var isListening: Bool { state.withLock { $0.listening } }

    /// How many times it connected (1 + reconnects).
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// Listens until graceful shutdown or cancellation.
    ///
    /// - Throws: ``SessionStoreError/Code/invalidArgument`` at once when `reconnectDelay` or
    ///   `healthCheckInterval` is not positive (either would make a loop that never waits).
    public func run() async throws {
        try SessionStoreError.requirePositive(reconnectDelay, "reconnectDelay")
        try SessionStoreError.requirePositive(healthCheckInterval, "healthCheckInterval")
        let channel = store.configuration.invalidationChannel
        guard !channel.isEmpty else {
            logger.debug("no invalidation channel configured; the listener has nothing to do")
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.listenOnce(channel: channel)
                } catch {
                    if Task.isCancelled { break }
                    self.logger.warning(
                        "session invalidation listener disconnected; reconnecting", metadata: ["error": "\(error)"])
                }
                self.state.withLock { $0.listening = false }
                try? await Task.sleep(for: self.reconnectDelay)
            }
        }
        state.withLock { $0.listening = false }
    }

    private func listenOnce(channel: String) async throws {
        let connection = try await connect()
        let (payloads, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        await connection.setNotificationHandler { notification in
            continuation.yield(notification.payload)
        }
        defer { continuation.finish() }
        do {
            try await connection.query("LISTEN \(identifier: channel)")
            // Whatever changed while nobody listened was not heard: start from an empty cache.
            if clearsCacheOnConnect { await store.clearCache() }
            state.withLock {
                $0.listening = true
                $0.connections += 1
            }
            logger.debug("listening for session invalidations", metadata: ["channel": "\(channel)", "psql.connection.id": "\(connection.id)"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await payload in payloads { await self.handle(payload) }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.healthCheckInterval)
                        try await connection.query("SELECT 1", timeout: self.healthCheckInterval)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private func handle(_ payload: String) async {
        guard let colon = payload.firstIndex(of: ":") else { return }
        let sender = payload[..<colon]
        guard sender != store.instanceID else { return }
        let hash = String(payload[payload.index(after: colon)...])
        guard hash.utf8.count == 64 else { return }
        await store.evictRemote(SessionCacheKey(hash: hash))
    }
}
