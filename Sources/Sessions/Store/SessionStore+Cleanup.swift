import Foundation
import LibPQ
import Logging

/// What ``SessionStore/databaseStatistics()`` counts in the `session` table.
public struct SessionTableStatistics: Sendable, Hashable {
    /// Live anonymous sessions.
    public var anonymous: Int
    /// Live authenticated sessions.
    public var authenticated: Int
    /// Sessions past their expiry (cleanup removes them).
    public var expired: Int
    /// Invalidated sessions.
    public var invalidated: Int
    /// All rows.
    public var total: Int
}

extension SessionStore {
    /// Removes every session whose expiry has passed, and anonymous sessions without an active order that
    /// have not changed for ``Configuration/anonymousIdleTimeout``, in batches of at most `batchSize` rows
    /// (one short statement each, rows other transactions hold are skipped), until none is left. Removed
    /// sessions are evicted from the cache. Returns the number removed.
    ///
    /// - Parameters:
    ///   - batchSize: the most rows one statement deletes; at least 1, else the call throws
    ///     ``SessionStoreError/Code/invalidArgument`` and deletes nothing.
    ///   - progress: called after each batch with the total removed so far and the batch count.
    @discardableResult
    public func cleanExpiredSessions(
        batchSize: Int = 1000, progress: (@Sendable (_ removed: Int, _ batches: Int) -> Void)? = nil
    ) async throws -> Int {
        try SessionStoreError.requirePositive(batchSize, "batchSize")
        let now = clock.now.roundedToMicroseconds
        let idleSince = configuration.anonymousIdleTimeout.map { now.addingTimeInterval(-$0.timeInterval) }
            ?? Date.distantPast
        var removed = 0
        var batches = 0
        while true {
            try Task.checkCancellation()
            let rows = try await run(
                statements.cleanupBatch,
                binds(
                    PostgresTimestamp(now), PostgresTimestamp(idleSince), batchSize,
                    configuration.invalidationChannel, payloadPrefix))
            let tokens = try rows.decodeColumn(String.self)
            batches += 1
            removed += await evictRemoved(tokens, reason: nil)
            progress?(removed, batches)
            // Fewer than a full batch: nothing is left but rows another cleaner holds (and will delete).
            if tokens.count < batchSize { break }
        }
        logger.debug("sessions cleaned", metadata: ["sessions.removed": "\(removed)", "batches": "\(batches)"])
        return removed
    }

    /// Counts sessions by kind and state.
    public func databaseStatistics() async throws -> SessionTableStatistics {
        let rows = try await run(statements.statistics, binds(PostgresTimestamp(clock.now)))
        guard let row = rows.first else {
            throw PostgresError(code: .protocolViolation, message: "the statistics query returned no row", query: statements.statistics)
        }
        let (anonymous, authenticated, expired, invalidated, total) = try row.decode((Int, Int, Int, Int, Int).self)
        return SessionTableStatistics(
            anonymous: anonymous, authenticated: authenticated, expired: expired, invalidated: invalidated, total: total)
    }
}
