import Foundation
import LibPQ
import Logging
import Synchronization

extension SessionStore {
    /// The live session for `token` with its user, active order and active channel, or nil when the token is
    /// unknown, expired, invalidated, or not a well-formed token at all.
    ///
    /// Malformed tokens (anything but 64 lowercase hex characters) are answered without a query. A cached
    /// copy is used when the cache has one (and has not expired); otherwise one query reads the session and
    /// its relations, and the cache is filled.
    ///
    /// When less than half of ``Configuration/sessionDuration`` is left, the expiry is moved to now plus the
    /// duration, on cache hits as well as misses. Concurrent lookups of one session share one renewal, and
    /// the renewal's `UPDATE` only applies if the expiry is still the one read, so processes racing each
    /// other write once between them.
    public func session(forToken token: String) async throws -> CachedSession? {
        try await find(token)?.session
    }

    /// What ``lookup(token:)`` found.
    public struct Lookup: Sendable {
        /// The live session, as returned (renewed when ``renewed``).
        public var session: CachedSession
        /// Whether its expiry moved during the lookup (this lookup renewed it, or shared a concurrent
        /// renewal): a server refreshes the cookie's `Max-Age` then.
        public var renewed: Bool
    }

    /// ``session(forToken:)``, also saying whether the lookup renewed the session.
    public func lookup(token: String) async throws -> Lookup? {
        try await find(token)
    }

    /// The lookup, inlined into both entry points: an async wrapper calling the other would cost each
    /// lookup a frame and executor switches.
    @inline(__always)
    private func find(_ token: String) async throws -> Lookup? {
        if let configurationError { throw configurationError }
        counters.lookups.add(1, ordering: .relaxed)
        guard SessionToken.isWellFormed(token) else {
            counters.malformedTokens.add(1, ordering: .relaxed)
            metrics.malformed.increment()
            return nil
        }
        let key = SessionCacheKey(token: token)
        let now = clock.now
        if let cached = await cacheGet(key), cached.token == token {
            if cached.expires > now {
                counters.cacheHits.add(1, ordering: .relaxed)
                metrics.cacheHits.increment()
                return try await renewIfNeeded(cached, key: key, now: now).map { Lookup(session: $0, renewed: $0.expires != cached.expires) }
            }
            // The cached copy has expired; another process may have renewed the session since: ask the
            // database below.
        }
        counters.cacheMisses.add(1, ordering: .relaxed)
        metrics.cacheMisses.increment()
        let generation = generations.current(key)
        guard let session = try await fetch(token: token, now: now) else {
            await evict(key)
            return nil
        }
        await fill(session, key: key, generation: generation)
        return try await renewIfNeeded(session, key: key, now: now).map { Lookup(session: $0, renewed: $0.expires != session.expires) }
    }

    /// Whether `session` has less than half its duration left at `now`.
    func needsRenewal(_ session: CachedSession, now: Date) -> Bool {
        session.expires.timeIntervalSince(now) < duration / 2
    }

    /// Renews `session` when it needs it, sharing the renewal with concurrent lookups of the same session.
    func renewIfNeeded(_ session: CachedSession, key: SessionCacheKey, now: Date) async throws -> CachedSession? {
        guard needsRenewal(session, now: now) else { return session }
        let (task, joined) = renewals.flight(for: session.id) {
            try await self.renew(session, key: key, now: now)
        }
        if joined { counters.renewalsJoined.add(1, ordering: .relaxed) }
        return try await task.value
    }

    /// One renewal write; when it finds the expiry already moved, reads the session again.
    private func renew(_ session: CachedSession, key: SessionCacheKey, now: Date) async throws -> CachedSession? {
        let generation = generations.current(key)
        let newExpiry = now.addingTimeInterval(duration).roundedToMicroseconds
        let rows = try await run(
            statements.renew,
            binds(
                PostgresTimestamp(newExpiry), PostgresTimestamp(now.roundedToMicroseconds), session.id,
                PostgresTimestamp(session.expires)))
        if rows.affectedRows == 1 {
            counters.renewals.add(1, ordering: .relaxed)
            metrics.renewals.increment()
            var renewed = session
            renewed.expires = newExpiry
            await fill(renewed, key: key, generation: generation)
            logger.debug("session renewed", metadata: ["session.id": "\(session.id)", "session.expires": "\(newExpiry)"])
            return renewed
        }
        // Another lookup (here or in another process) renewed it first, or it was invalidated or deleted.
        counters.renewalConflicts.add(1, ordering: .relaxed)
        let current = generations.current(key)
        guard let fresh = try await fetch(token: session.token, now: now) else {
            await evict(key)
            return nil
        }
        await fill(fresh, key: key, generation: current)
        return fresh
    }
}

/// In-process single flight for renewals, keyed by session id: the first lookup that finds a session due
/// for renewal starts the renewal, lookups arriving while it runs wait for the same result.
final class RenewalFlights: Sendable {
    private struct Flight {
        var number: UInt64
        var task: Task<CachedSession?, any Error>
    }
    private struct State {
        var next: UInt64 = 0
        var flights: [Int: Flight] = [:]
    }
    private let state = Mutex(State())

    /// The running renewal of session `id`, or a new one running `body`; `joined` tells which.
    func flight(
        for id: Int, _ body: @escaping @Sendable () async throws -> CachedSession?
    ) -> (task: Task<CachedSession?, any Error>, joined: Bool) {
        state.withLock { state in
            if let flight = state.flights[id] { return (flight.task, true) }
            state.next += 1
            let number = state.next
            // The task removes itself when done. It cannot get there before it is registered: it needs this
            // lock, held until the end of this closure.
            let task = Task<CachedSession?, any Error> {
                defer { self.finish(id, number) }
                return try await body()
            }
            state.flights[id] = Flight(number: number, task: task)
            return (task, false)
        }
    }

    private func finish(_ id: Int, _ number: UInt64) {
        state.withLock { state in
            if state.flights[id]?.number == number { state.flights[id] = nil }
        }
    }

    /// The number of renewals running (for tests).
    var running: Int { state.withLock { $0.flights.count } }
}
