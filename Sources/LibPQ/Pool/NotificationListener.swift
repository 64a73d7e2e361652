import Logging
import Synchronization

/// The pool's dedicated `LISTEN` connection: one connection for every channel anyone listens on.
///
/// Subscribers register before `LISTEN` is sent, so nothing sent after ``PostgresPool/listen(channel:)``
/// returns is missed. When the connection is lost it reconnects with the pool's backoff and re-issues
/// `LISTEN` for every channel (notifications sent while it was down are lost: PostgreSQL does not keep
/// them). The last subscriber of a channel leaving sends `UNLISTEN`.
actor NotificationListener {
    typealias Continuation = AsyncStream<PostgresNotification>.Continuation

    struct Registry {
        var channels: [String: [Int: Continuation]] = [:]
        var nextID = 0
        var closed = false
    }

    /// Read on the connection's loop thread when a notification arrives, hence a Mutex, not actor state.
    nonisolated let registry = Mutex(Registry())
    let backoff: PostgresPool.Configuration.Backoff
    let logger: Logger
    let connect: @Sendable () async throws -> PostgresConnection

    var connection: PostgresConnection?
    var connecting: Task<PostgresConnection, any Error>?
    var reconnecting: Task<Void, Never>?
    /// Channels `LISTEN`ed on the current connection.
    var listening: Set<String> = []

    init(
        backoff: PostgresPool.Configuration.Backoff, logger: Logger,
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) {
        self.backoff = backoff
        self.logger = logger
        self.connect = connect
    }

    func subscribe(_ channel: String) async throws -> PostgresNotifications {
        let listen = try Self.statement("LISTEN", channel)
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresNotification.self)
        let id = registry.withLock { r -> Int? in
            guard !r.closed else { return nil }
            r.nextID += 1
            r.channels[channel, default: [:]][r.nextID] = continuation
            return r.nextID
        }
        guard let id else { throw PostgresError(code: .poolShutdown, message: "the pool is shutting down") }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.unsubscribe(channel, id: id) }
        }
        do {
            let connection = try await currentConnection()
            if !listening.contains(channel) {
                try await connection.queryIgnoringCancellation(listen)
                listening.insert(channel)
            }
        } catch {
            _ = registry.withLock { $0.channels[channel]?.removeValue(forKey: id) }
            continuation.finish()
            throw error
        }
        return PostgresNotifications(stream: stream)
    }

    private func unsubscribe(_ channel: String, id: Int) async {
        let empty = registry.withLock { r -> Bool in
            r.channels[channel]?.removeValue(forKey: id)
            if r.channels[channel]?.isEmpty == true { r.channels[channel] = nil }
            return r.channels[channel] == nil && !r.closed
        }
        guard empty, listening.contains(channel), let connection, let sql = try? Self.statement("UNLISTEN", channel)
        else { return }
        listening.remove(channel)
        _ = try? await connection.queryIgnoringCancellation(sql)
        // Someone subscribed again while UNLISTEN ran.
        if registry.withLock({ $0.channels[channel] != nil }), let listen = try? Self.statement("LISTEN", channel) {
            if (try? await connection.queryIgnoringCancellation(listen)) != nil { listening.insert(channel) }
        }
    }

    /// The open connection, connecting (and `LISTEN`ing on every registered channel) when needed.
    private func currentConnection() async throws -> PostgresConnection {
        if let connection, connection.isOpen { return connection }
        if let connecting { return try await connecting.value }
        let task = Task { try await self.openAndListen() }
        connecting = task
        defer { connecting = nil }
        return try await task.value
    }

    private func openAndListen() async throws -> PostgresConnection {
        let c = try await connect()
        await c.setNotificationHandler { [weak self] n in
            guard let self else { return }
            let subscribers = self.registry.withLock { Array(($0.channels[n.channel] ?? [:]).values) }
            for s in subscribers { s.yield(n) }
        }
        let lostID = c.id  // not the connection: the handler must not keep it alive
        await c.onClose { [weak self] in
            guard let self else { return }
            Task { await self.connectionLost(lostID) }
        }
        let channels = registry.withLock { Array($0.channels.keys) }
        for channel in channels {
            try await c.queryIgnoringCancellation(try Self.statement("LISTEN", channel))
        }
        connection = c
        listening = Set(channels)
        logger.debug("listening", metadata: ["psql.connection.id": "\(c.id)", "channels": "\(channels.count)"])
        return c
    }

    private func connectionLost(_ lostID: Int) {
        guard connection?.id == lostID else { return }
        connection = nil
        listening = []
        let wanted = registry.withLock { !$0.closed && !$0.channels.isEmpty }
        guard wanted, reconnecting == nil else { return }
        logger.debug("LISTEN connection lost; reconnecting")
        reconnecting = Task { await self.reconnect() }
    }

    private func reconnect() async {
        var failures = 0
        defer { reconnecting = nil }
        while !Task.isCancelled, registry.withLock({ !$0.closed && !$0.channels.isEmpty }) {
            do {
                _ = try await currentConnection()
                return
            } catch {
                failures += 1
                logger.debug("LISTEN reconnect failed", metadata: ["attempt": "\(failures)"])
                let delay = backoff.delay(afterFailures: failures, random: Double.random(in: 0..<1))
                guard (try? await Task.sleep(for: delay)) != nil else { return }
            }
        }
    }

    /// Ends every subscription and closes the connection.
    func close() async {
        let subscribers = registry.withLock { r -> [Continuation] in
            r.closed = true
            defer { r.channels = [:] }
            return r.channels.values.flatMap { $0.values }
        }
        for s in subscribers { s.finish() }
        reconnecting?.cancel()
        connecting?.cancel()
        let c = connection
        connection = nil
        await c?.close()
    }

    private static func statement(_ verb: String, _ channel: String) throws -> String {
        do {
            return verb + " " + (try PostgresQuery.quoteIdentifier(channel))
        } catch {
            throw PostgresError.encoding(error, parameter: 0, query: verb)
        }
    }
}

/// The notifications of one `LISTEN` channel, in arrival order. Ends when the pool shuts down; ending the
/// iteration (or dropping the sequence) unsubscribes.
public struct PostgresNotifications: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    let stream: AsyncStream<PostgresNotification>

    public func makeAsyncIterator() -> AsyncStream<PostgresNotification>.Iterator {
        stream.makeAsyncIterator()
    }
}
