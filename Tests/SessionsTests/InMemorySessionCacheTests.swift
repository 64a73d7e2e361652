import Foundation
import Sessions
import Testing

struct InMemorySessionCacheTests {
    func session(_ id: Int) -> (CachedSession, SessionCacheKey) {
        let token = SessionToken.generate()
        return (CachedSession(id: id, token: token, expires: .distantFuture, kind: .anonymous), SessionCacheKey(token: token))
    }

    @Test func capacityIsEnforced() async throws {
        let cache = try InMemorySessionCache(capacity: 10_000, clock: ManualSessionClock())
        var keys: [SessionCacheKey] = []
        for i in 0..<10_050 {
            let (s, k) = session(i)
            keys.append(k)
            try await cache.set(s, for: k)
        }
        #expect(cache.count == 10_000)
        #expect(cache.statistics.evictions == 50)
        // The first 50 (least recently used) went.
        for k in keys.prefix(50) { #expect(try await cache.get(k) == nil) }
        #expect(try await cache.get(keys[50])?.id == 50)
        #expect(try await cache.get(keys[10_049])?.id == 10_049)
    }

    @Test func aReadMakesAnEntryMostRecentlyUsed() async throws {
        let cache = try InMemorySessionCache(capacity: 3, clock: ManualSessionClock())
        let a = session(1), b = session(2), c = session(3), d = session(4)
        try await cache.set(a.0, for: a.1)
        try await cache.set(b.0, for: b.1)
        try await cache.set(c.0, for: c.1)
        _ = try await cache.get(a.1)  // a is now the most recent; b the least
        try await cache.set(d.0, for: d.1)
        #expect(try await cache.get(b.1) == nil)
        #expect(try await cache.get(a.1) != nil)
        #expect(try await cache.get(c.1) != nil)
        #expect(try await cache.get(d.1) != nil)
    }

    @Test func entriesExpireAfterTheTTLOfTheInjectedClock() async throws {
        let clock = ManualSessionClock()
        let cache = try InMemorySessionCache(capacity: 10, ttl: .seconds(2), clock: clock)
        let a = session(1)
        try await cache.set(a.0, for: a.1)
        clock.advance(by: 1.9)
        #expect(try await cache.get(a.1) != nil)
        clock.advance(by: 0.1)
        #expect(try await cache.get(a.1) == nil)
        #expect(cache.count == 0)
        #expect(cache.statistics.expirations == 1)
    }

    @Test func deleteAndClear() async throws {
        let cache = try InMemorySessionCache(capacity: 10, clock: ManualSessionClock())
        let a = session(1), b = session(2)
        try await cache.set(a.0, for: a.1)
        try await cache.set(b.0, for: b.1)
        try await cache.delete(a.1)
        #expect(!cache.contains(a.1) && cache.contains(b.1))
        try await cache.clear()
        #expect(cache.count == 0)
    }

    @Test func slotsAreReusedAfterManyReplacementsAndDeletes() async throws {
        let cache = try InMemorySessionCache(capacity: 100, clock: ManualSessionClock())
        var live: [SessionCacheKey] = []
        for i in 0..<5_000 {
            let s = session(i)
            try await cache.set(s.0, for: s.1)
            live.append(s.1)
            if i % 3 == 0 { try await cache.delete(live.removeFirst()) }
            #expect(cache.count <= 100)
        }
        #expect(cache.count == 100)
    }
}
