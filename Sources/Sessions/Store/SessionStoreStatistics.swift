import Metrics
import Synchronization

/// What a ``SessionStore`` has done since it was created.
public struct SessionStoreStatistics: Sendable, Hashable {
    /// `session(forToken:)` calls.
    public var lookups = 0
    /// Lookups answered from the cache.
    public var cacheHits = 0
    /// Lookups the cache could not answer.
    public var cacheMisses = 0
    /// Lookups rejected without a query because the token was malformed.
    public var malformedTokens = 0
    /// Lookup queries sent to the database.
    public var databaseLookups = 0
    /// Database lookups a standby answered (see ``SessionStore/init(database:replica:cache:clock:configuration:logger:)``).
    public var replicaLookups = 0
    /// Lookups sent to the standby that the primary answered after all: the standby had not replayed a
    /// change this store knows of, did not have the session (yet), or failed.
    public var replicaFallbacks = 0
    /// Statements sent to the database, of every kind.
    public var queries = 0
    /// Renewal writes that moved an expiry.
    public var renewals = 0
    /// Renewal writes that found the expiry already moved (by another process) or the session gone.
    public var renewalConflicts = 0
    /// Lookups that waited for a renewal another lookup had started.
    public var renewalsJoined = 0
    /// Sessions created.
    public var created = 0
    /// Sessions invalidated or deleted by this store (cleanup included).
    public var removed = 0
    /// Cache calls that failed or timed out (each answered by the database instead).
    public var cacheErrors = 0
    /// Cache entries evicted because another process changed the session.
    public var remoteEvictions = 0

    /// cacheHits / (cacheHits + cacheMisses), or nil before the first lookup.
    public var cacheHitRate: Double? {
        cacheHits + cacheMisses == 0 ? nil : Double(cacheHits) / Double(cacheHits + cacheMisses)
    }
}

/// The atomic counters behind ``SessionStoreStatistics``.
final class SessionStoreCounters: Sendable {
    let lookups = Atomic<Int>(0)
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    let malformedTokens = Atomic<Int>(0)
    let databaseLookups = Atomic<Int>(0)
    let replicaLookups = Atomic<Int>(0)
    let replicaFallbacks = Atomic<Int>(0)
    let queries = Atomic<Int>(0)
    let renewals = Atomic<Int>(0)
    let renewalConflicts = Atomic<Int>(0)
    let renewalsJoined = Atomic<Int>(0)
    let created = Atomic<Int>(0)
    let removed = Atomic<Int>(0)
    let cacheErrors = Atomic<Int>(0)
    let remoteEvictions = Atomic<Int>(0)

    func snapshot() -> SessionStoreStatistics {
        var s = SessionStoreStatistics()
        s.lookups = lookups.load(ordering: .relaxed)
        s.cacheHits = cacheHits.load(ordering: .relaxed)
        s.cacheMisses = cacheMisses.load(ordering: .relaxed)
        s.malformedTokens = malformedTokens.load(ordering: .relaxed)
        s.databaseLookups = databaseLookups.load(ordering: .relaxed)
        s.replicaLookups = replicaLookups.load(ordering: .relaxed)
        s.replicaFallbacks = replicaFallbacks.load(ordering: .relaxed)
        s.queries = queries.load(ordering: .relaxed)
        s.renewals = renewals.load(ordering: .relaxed)
        s.renewalConflicts = renewalConflicts.load(ordering: .relaxed)
        s.renewalsJoined = renewalsJoined.load(ordering: .relaxed)
        s.created = created.load(ordering: .relaxed)
        s.removed = removed.load(ordering: .relaxed)
        s.cacheErrors = cacheErrors.load(ordering: .relaxed)
        s.remoteEvictions = remoteEvictions.load(ordering: .relaxed)
        return s
    }
}

/// swift-metrics counters (no-ops unless the application bootstraps a metrics backend).
struct SessionMetrics: Sendable {
    let cacheHits = Counter(label: "sessions.lookups", dimensions: [("result", "cache_hit")])
    let cacheMisses = Counter(label: "sessions.lookups", dimensions: [("result", "cache_miss")])
    let malformed = Counter(label: "sessions.lookups", dimensions: [("result", "malformed")])
    let created = Counter(label: "sessions.created")
    let renewals = Counter(label: "sessions.renewals")
    let removed = Counter(label: "sessions.removed")
    let cacheErrors = Counter(label: "sessions.cache.errors")
}
