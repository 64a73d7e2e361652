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

    @Test func statementsTakingTurnsStayFoundAndLRUOrderHolds() {
        // More statements than recent slots, in turns (as a read-only group's guard and its members):
        // every lookup still finds its own statement, whether from a recent slot or by hashing.
        var cache = StatementCache(capacity: 8)
        let keys = (0..<6).map { Self.key("SELECT \($0)") }
        for (i, k) in keys.enumerated() {
            #expect(cache.lookup(k) == nil)
            #expect(cache.insert(k, name: "ps_\(i)") == nil)
        }
        for round in 0..<5 {
            for (i, k) in keys.enumerated() where i % 2 == round % 2 || i < 2 {
                #expect(cache.lookup(k) == "ps_\(i)")
            }
        }
        #expect(cache.misses == 6)
        // Keys 0 and 1 ran in every round, so the next two inserts evict the least recently used others.
        let more = (6..<8).map { Self.key("SELECT \($0)") }
        _ = cache.insert(more[0], name: "ps_6")
        _ = cache.insert(more[1], name: "ps_7")
        #expect(cache.insert(Self.key("SELECT 8"), name: "ps_8") == "ps_3")
        #expect(cache.lookup(keys[0]) == "ps_0" && cache.lookup(keys[1]) == "ps_1")
        #expect(cache.lookup(keys[3]) == nil)
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
