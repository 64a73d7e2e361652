import Foundation
import Logging

extension SessionStore {
    /// Reads the cache; a failure or timeout counts as a miss.
    func cacheGet(_ key: SessionCacheKey) async -> CachedSession? {
        await guarded("get", nil) { [cache] in try await cache.get(key) } ?? nil
    }

    /// Fills the cache with a copy read from the database, unless a change to the same key happened since
    /// `generation` was read (see ``CacheGenerations``).
    func fill(_ session: CachedSession, key: SessionCacheKey, generation: UInt64) async {
        guard generations.current(key) == generation else { return }
        await guarded("set", ()) { [cache] in try await cache.set(session, for: key) }
        if generations.current(key) != generation {
            await guarded("delete", ()) { [cache] in try await cache.delete(key) }
        }
    }

    /// After a change to the session at `key` was written: bumps the key's generation, then evicts.
    func evict(_ key: SessionCacheKey) async {
        if replica != nil { replicaFloors.markChanged(key) }
        generations.bump(key)
        await guarded("delete", ()) { [cache] in try await cache.delete(key) }
    }

    /// After a change whose result the store knows: caches `session` when no other change to the key
    /// happened since `generation` was read before the write; otherwise evicts.
    func replace(_ session: CachedSession, key: SessionCacheKey, generation: UInt64) async {
        if replica != nil { replicaFloors.markChanged(key) }
        let bumped = generations.bump(key)
        guard bumped == generation &+ 1 else {
            await guarded("delete", ()) { [cache] in try await cache.delete(key) }
            return
        }
        await fill(session, key: key, generation: bumped)
    }

    /// Evicts a key because another process changed the session (called by the listener).
    func evictRemote(_ key: SessionCacheKey) async {
        counters.remoteEvictions.add(1, ordering: .relaxed)
        await evict(key)
    }

    /// Empties the cache (after the listener reconnected: notifications may have been missed).
    func clearCache() async {
        if replica != nil { replicaFloors.markAllChanged() }
        generations.bumpAll()
        await guarded("clear", ()) { [cache] in try await cache.clear() }
    }

    /// Runs a cache call with the configured timeout; returns `fallback` when it fails or times out.
    private func guarded<T: Sendable>(
        _ operation: String, _ fallback: T, _ body: @escaping @Sendable () async throws -> T
    ) async -> T {
        do {
            if cache.completesImmediately { return try await body() }
            return try await withTimeout(configuration.cacheTimeout, body)
        } catch {
            counters.cacheErrors.add(1, ordering: .relaxed)
            metrics.cacheErrors.increment()
            logger.debug("session cache \(operation) failed; using the database", metadata: ["error": "\(error)"])
            return fallback
        }
    }
}
