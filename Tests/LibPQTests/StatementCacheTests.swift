@testable import LibPQ
import Testing

/// The per-connection prepared-statement LRU, without a server.
@Suite struct StatementCacheTests {
    static func key(_ sql: String) -> StatementCache.Key { StatementCache.Key(sql: sql, types: [25]) }

    @Test func aRepeatedStatementHitsAndCountsAsUsedForEviction() {
        var cache = StatementCache(capacity: 2)
        let a = Self.key("SELECT a"), b = Self.key("SELECT b"), c = Self.key("SELECT c")
        #expect(cache.lookup(a) == nil)
        #expect(cache.insert(a, name: "ps_a") == nil)
        #expect(cache.lookup(b) == nil)
        #expect(cache.insert(b, name: "ps_b") == nil)
        // A is used again and again (found as the recent statement after the first lookup)...
        for _ in 0..<3 { #expect(cache.lookup(a) == "ps_a") }
        #expect(cache.hits == 3 && cache.misses == 2)
        // ...so inserting C evicts B, the least recently used, not A.
        #expect(cache.lookup(c) == nil)
        #expect(cache.insert(c, name: "ps_c") == "ps_b")
        #expect(cache.lookup(a) == "ps_a")
        #expect(cache.lookup(b) == nil)
        #expect(cache.lookup(c) == "ps_c")
    }

    @Test func theSameTextWithOtherParameterTypesIsAnotherStatement() {
        var cache = StatementCache(capacity: 4)
        _ = cache.insert(StatementCache.Key(sql: "SELECT $1", types: [23]), name: "ps_int")
        #expect(cache.lookup(StatementCache.Key(sql: "SELECT $1", types: [25])) == nil)
        #expect(cache.lookup(StatementCache.Key(sql: "SELECT $1", types: [23])) == "ps_int")
    }

    @Test func removedStatementsAreNotFoundAgain() {
        var cache = StatementCache(capacity: 4)
        let a = Self.key("SELECT a")
        _ = cache.insert(a, name: "ps_1")
        #expect(cache.lookup(a) == "ps_1")
        cache.remove(a, ifNamed: "ps_other")
        #expect(cache.lookup(a) == "ps_1")
        cache.remove(a, ifNamed: "ps_1")
        #expect(cache.lookup(a) == nil)
        _ = cache.insert(a, name: "ps_2")
        cache.remove(a)
        #expect(cache.lookup(a) == nil)
        _ = cache.insert(a, name: "ps_3")
        cache.removeAll()
        #expect(cache.lookup(a) == nil && cache.count == 0)
    }
}
