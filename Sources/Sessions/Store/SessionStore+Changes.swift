import Foundation
import Entities
import LibPQ
import Logging

extension SessionStore {
    /// Sets the active order of the live session `token`; returns the session as changed, or nil when
    /// there is no such live session. Other processes' cached copies are evicted.
    public func setActiveOrder(_ orderID: Int, forToken token: String) async throws -> CachedSession? {
        try await update(statements.setActiveOrder, value: orderID, token: token)
    }

    /// Clears the active order of the live session `token` (after the order was placed, for example).
    public func unsetActiveOrder(forToken token: String) async throws -> CachedSession? {
        try await update(statements.setActiveOrder, value: Int?.none, token: token)
    }

    /// Sets the active channel of the live session `token`.
    public func setActiveChannel(_ channelID: Int, forToken token: String) async throws -> CachedSession? {
        try await update(statements.setActiveChannel, value: channelID, token: token)
    }

    private func update(_ statement: PreparedSelect<Session>, value: Int?, token: String) async throws -> CachedSession? {
        guard SessionToken.isWellFormed(token) else { return nil }
        let key = SessionCacheKey(token: token)
        let generation = generations.current(key)
        let now = clock.now.roundedToMicroseconds
        let rows = try await run(
            statement.sql, binds(token, value, PostgresTimestamp(now), configuration.invalidationChannel, payloadPrefix))
        guard let row = rows.first else {
            await evict(key)
            return nil
        }
        let session = try statements.decode(row, from: statement)
        await replace(session, key: key, generation: generation)
        return session
    }

    /// Invalidates (logs out) the session `token`: it is marked `invalidated`, evicted from this cache and,
    /// through the invalidation channel, from every other store's. Returns whether a live session was
    /// invalidated.
    @discardableResult
    public func invalidate(token: String) async throws -> Bool {
        guard SessionToken.isWellFormed(token) else { return false }
        let key = SessionCacheKey(token: token)
        let rows = try await run(
            statements.invalidate,
            binds(token, PostgresTimestamp(clock.now.roundedToMicroseconds), configuration.invalidationChannel, payloadPrefix))
        await evict(key)
        if !rows.isEmpty {
            counters.removed.add(1, ordering: .relaxed)
            metrics.removed.increment()
            logger.debug("session invalidated", metadata: ["session.token": "\(SessionToken.redacted(token))"])
        }
        return !rows.isEmpty
    }

    /// Deletes every session of a user (Vendure's `deleteSessionsByUser`, run on logout and when a user is
    /// deleted). Returns the number deleted.
    @discardableResult
    public func deleteSessions(forUser userID: Int) async throws -> Int {
        let rows = try await run(
            statements.deleteByUser, binds(userID, configuration.invalidationChannel, payloadPrefix))
        return await evictRemoved(try rows.decodeColumn(String.self), reason: "user \(userID)")
    }

    /// Deletes every session whose active order is `orderID` (Vendure's `deleteSessionsByActiveOrderId`).
    @discardableResult
    public func deleteSessions(forActiveOrder orderID: Int) async throws -> Int {
        let rows = try await run(
            statements.deleteByActiveOrder, binds(orderID, configuration.invalidationChannel, payloadPrefix))
        return await evictRemoved(try rows.decodeColumn(String.self), reason: "active order \(orderID)")
    }

    /// Deletes an order that sessions may reference: in one statement the sessions are detached from it
    /// (`activeOrderId` = NULL) and the order row is deleted; their cached copies are evicted here and in
    /// other processes. Returns whether the order existed.
    ///
    /// Only the `order` row is deleted: rows of other tables that reference the order (order lines,
    /// payments in a full Vendure database) must be gone already.
    @discardableResult
    public func deleteOrder(id orderID: Int) async throws -> Bool {
        try await deleteReferenced {
            try await self.run(
                self.statements.deleteOrder,
                self.binds(
                    orderID, PostgresTimestamp(self.clock.now.roundedToMicroseconds),
                    self.configuration.invalidationChannel, self.payloadPrefix))
        }
    }

    /// Deletes a channel and, in the same statement, every session whose active channel it is; their cached
    /// copies are evicted here and in other processes. Returns whether the channel existed.
    @discardableResult
    public func deleteChannel(id channelID: Int) async throws -> Bool {
        try await deleteReferenced {
            try await self.run(
                self.statements.deleteChannel,
                self.binds(channelID, self.configuration.invalidationChannel, self.payloadPrefix))
        }
    }

    /// Runs a delete-with-sessions statement; retries when a session started referencing the row between
    /// the statement's snapshot and its foreign-key check (SQLSTATE 23503).
    private func deleteReferenced(_ statement: @Sendable () async throws -> PostgresRows) async throws -> Bool {
        var attempt = 0
        while true {
            attempt += 1
            let rows: PostgresRows
            do {
                rows = try await statement()
            } catch let error as PostgresError where error.sqlState == "23503" && attempt < 5 {
                continue
            }
            guard let row = rows.first else { return false }
            // The third column counts the notifications sent: not needed here.
            let deleted = try row.decode(Int.self, at: 0)
            let tokens = try row.decode([String].self, at: 1)
            await evictRemoved(tokens, reason: nil, countAsRemoved: false)
            return deleted > 0
        }
    }

    /// Evicts the sessions whose tokens a statement returned; returns their number.
    @discardableResult
    func evictRemoved(_ tokens: [String], reason: String?, countAsRemoved: Bool = true) async -> Int {
        for token in tokens { await evict(SessionCacheKey(token: token)) }
        if countAsRemoved, !tokens.isEmpty {
            counters.removed.add(tokens.count, ordering: .relaxed)
            metrics.removed.increment(by: tokens.count)
        }
        if let reason, !tokens.isEmpty {
            logger.debug("sessions deleted", metadata: ["sessions.count": "\(tokens.count)", "reason": "\(reason)"])
        }
        return tokens.count
    }
}
