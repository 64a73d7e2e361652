import Synchronization

/// Change counters that keep a cache from being filled with a copy older than the database.
///
/// A lookup that misses reads the database and then fills the cache; a change (invalidate, set active
/// order, a notification from another process) that commits in between would otherwise be overwritten by
/// the older copy and stay wrong until the TTL. So every change bumps the generation of the session's key
/// after its write and then evicts; a fill notes the generation before its read, and after writing the
/// cache checks it again and undoes its write when it moved. Either the fill sees the bump, or the change's
/// eviction comes after the fill: no stale copy survives.
///
/// Keys share a fixed number of counters (stripes); a collision only makes a fill give up needlessly.
final class CacheGenerations: Sendable {
    private static let stripeCount = 1024
    private let stripes = Mutex<[UInt64]>(Array(repeating: 0, count: CacheGenerations.stripeCount))

    private func stripe(_ key: SessionCacheKey) -> Int {
        var hasher = Hasher()
        hasher.combine(key)
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.stripeCount))
    }

    /// The generation of `key`'s stripe now.
    func current(_ key: SessionCacheKey) -> UInt64 {
        let i = stripe(key)
        return stripes.withLock { $0[i] }
    }

    /// Bumps `key`'s stripe; returns the new generation.
    @discardableResult
    func bump(_ key: SessionCacheKey) -> UInt64 {
        let i = stripe(key)
        return stripes.withLock { s in
            s[i] &+= 1
            return s[i]
        }
    }

    /// Bumps every stripe (after the cache was cleared).
    func bumpAll() {
        stripes.withLock { s in
            for i in s.indices { s[i] &+= 1 }
        }
    }
}
