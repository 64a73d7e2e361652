import Foundation
import Synchronization

/// An in-process LRU cache with a time to live: at most ``capacity`` sessions (the least recently used go
/// first), each kept at most ``ttl`` after it was stored, as measured by the injected clock.
///
/// Unlike Vendure's `InMemorySessionCacheStrategy`, the capacity is really enforced: every `set` beyond it
/// evicts one entry.
public final class InMemorySessionCache: SessionCacheStrategy {
    /// Counters since creation.
    public struct Statistics: Sendable, Hashable {
        /// `get` calls that found a live entry.
        public var hits = 0
        /// `get` calls that found nothing, or an entry past its TTL.
        public var misses = 0
        /// `set` calls.
        public var sets = 0
        /// `delete` calls that removed an entry.
        public var deletes = 0
        /// Entries dropped to stay within capacity.
        public var evictions = 0
        /// Entries dropped because their TTL passed.
        public var expirations = 0
        /// Entries now held.
        public var count = 0

        /// hits / (hits + misses), or nil before the first `get`.
        public var hitRate: Double? { hits + misses == 0 ? nil : Double(hits) / Double(hits + misses) }
    }

    private struct Entry {
        var session: CachedSession
        var storedAt: Date
    }

    private struct State {
        var lru: LRUDictionary<SessionCacheKey, Entry>
        var statistics = Statistics()
    }

    /// The most sessions kept.
    public let capacity: Int
    /// How long an entry lives.
    public let ttl: Duration
    private let ttlSeconds: TimeInterval
    private let clock: any SessionClock
    private let state: Mutex<State>

    /// The default capacity, 10,000 entries.
    public static let defaultCapacity = 10_000
    /// The default time to live, 300 s (Vendure's `sessionCacheTTL`).
    public static let defaultTTL: Duration = .seconds(300)

    /// Creates a cache with the default capacity (10,000) and TTL (300 s, Vendure's `sessionCacheTTL`).
    public convenience init(clock: any SessionClock = SystemSessionClock()) {
        self.init(validCapacity: Self.defaultCapacity, ttl: Self.defaultTTL, clock: clock)
    }

    /// Creates a cache of `capacity` entries living `ttl` each.
    ///
    /// - Throws: ``SessionStoreError/Code/invalidArgument`` when `capacity` or `ttl` is not positive.
    public convenience init(
        capacity: Int, ttl: Duration = InMemorySessionCache.defaultTTL, clock: any SessionClock = SystemSessionClock()
    ) throws(SessionStoreError) {
        try SessionStoreError.requirePositive(capacity, "capacity")
        try SessionStoreError.requirePositive(ttl, "ttl")
        self.init(validCapacity: capacity, ttl: ttl, clock: clock)
    }

    private init(validCapacity capacity: Int, ttl: Duration, clock: any SessionClock) {
        self.capacity = capacity
        self.ttl = ttl
        self.ttlSeconds = ttl.timeInterval
        self.clock = clock
        self.state = Mutex(State(lru: LRUDictionary(capacity: capacity)))
    }

    /// True: calls take a lock and return.
    public var completesImmediately: Bool { true }

    public func get(_ key: SessionCacheKey) async throws -> CachedSession? { lookup(key) }

    public func set(_ session: CachedSession, for key: SessionCacheKey) async throws { store(session, for: key) }

    public func delete(_ key: SessionCacheKey) async throws { remove(key) }

    public func clear() async throws { removeAll() }

    /// The live entry for `key`, or nil (synchronous form of ``get(_:)``).
    public func lookup(_ key: SessionCacheKey) -> CachedSession? {
        let now = clock.now
        return state.withLock { state in
            guard let entry = state.lru.value(for: key) else {
                state.statistics.misses += 1
                return nil
            }
            guard now.timeIntervalSince(entry.storedAt) < ttlSeconds else {
                state.lru.removeValue(for: key)
                state.statistics.expirations += 1
                state.statistics.misses += 1
                return nil
            }
            state.statistics.hits += 1
            return entry.session
        }
    }

    /// Stores `session` (synchronous form of ``set(_:for:)``).
    public func store(_ session: CachedSession, for key: SessionCacheKey) {
        let entry = Entry(session: session, storedAt: clock.now)
        state.withLock { state in
            state.statistics.sets += 1
            if state.lru.set(entry, for: key) != nil { state.statistics.evictions += 1 }
        }
    }

    /// Removes the entry for `key` (synchronous form of ``delete(_:)``).
    public func remove(_ key: SessionCacheKey) {
        state.withLock { state in
            if state.lru.removeValue(for: key) != nil { state.statistics.deletes += 1 }
        }
    }

    /// Removes everything.
    public func removeAll() {
        state.withLock { $0.lru.removeAll() }
    }

    /// Whether an entry for `key` is held, live or not, without counting a hit or changing the LRU order.
    public func contains(_ key: SessionCacheKey) -> Bool {
        state.withLock { $0.lru.peek(key) != nil }
    }

    /// The number of entries held.
    public var count: Int { state.withLock { $0.lru.count } }

    /// The counters.
    public var statistics: Statistics {
        state.withLock { state in
            var s = state.statistics
            s.count = state.lru.count
            return s
        }
    }
}
