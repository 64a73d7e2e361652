import Foundation
import LibPQ
import Logging

// Read routing: lookups go to a standby when it can answer them, everything else to the primary.
extension SessionStore {
    /// A database lookup with a standby configured: the standby answers when it has replayed every change
    /// to the session this store knows of (``ReplicaFloors``) and has the session; otherwise the primary
    /// answers. A standby that fails (down, timed out) is skipped for that lookup.
    func fetchRouted(token: String, now: Date, replica: any PostgresQueryable) async throws -> CachedSession? {
        let key = SessionCacheKey(token: token)
        let parameters = binds(token, PostgresTimestamp(now))
        if case .replica(let atLeast) = replicaFloors.route(key) {
            do {
                let rows = try await replica.query(
                    PostgresQuery(unsafeSQL: statements.lookupOnReplica, binds: parameters).readOnly(),
                    timeout: configuration.queryTimeout)
                if let row = rows.first {
                    let replayed = try row.decode(Int64?.self, at: positionColumn)
                    if let replayed { replicaFloors.replicaRead(position: UInt64(clamping: replayed)) }
                    // No replay position: the server is not in recovery (a standby promoted), so it is
                    // current by definition.
                    let caughtUp = replayed.map { UInt64(clamping: $0) >= atLeast } ?? true
                    if caughtUp, !row.isNull(at: 0) {
                        counters.replicaLookups.add(1, ordering: .relaxed)
                        return try statements.decode(row, from: statements.lookup)
                    }
                }
            } catch let error as PostgresError {
                logger.debug("standby lookup failed; asking the primary", metadata: ["error.code": "\(error.code)"])
            }
            // Behind a change this store knows of, or no such session there (yet: it may have been created
            // on the primary a moment ago), or failed.
            counters.replicaFallbacks.add(1, ordering: .relaxed)
        }
        let startedAt = replicaFloors.sequence
        let rows = try await run(statements.lookupOnPrimary, parameters, readOnly: true)
        guard let row = rows.first else { return nil }
        if let position = try row.decode(Int64?.self, at: positionColumn) {
            replicaFloors.primaryRead(key, position: UInt64(clamping: position), startedAt: startedAt)
        }
        guard !row.isNull(at: 0) else { return nil }
        return try statements.decode(row, from: statements.lookup)
    }

    /// The column of ``SessionStatements/lookupOnReplica`` and ``SessionStatements/lookupOnPrimary``
    /// holding the WAL position: the one after the lookup's columns.
    var positionColumn: Int { statements.lookup.columnCount }
}
