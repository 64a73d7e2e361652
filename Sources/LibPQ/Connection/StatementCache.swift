/// A per-connection LRU of prepared statements, keyed by SQL text and parameter types.
/// Loop-confined (owned by one connection core).
struct StatementCache {
    struct Key: Hashable {
        let sql: String
        let types: ParameterTypes

        init(sql: String, types: ParameterTypes) {
            self.sql = sql
            self.types = types
        }

        /// A key for parameters of these type OIDs.
        init(sql: String, types: [UInt32]) {
            self.init(sql: sql, types: ParameterTypes(types))
        }
    }

    struct Entry {
        let name: String
        var lastUse: UInt64
    }

    let capacity: Int
    private(set) var entries: [Key: Entry] = [:]
    /// Where the last few hits or inserts sit in `entries`, most recent first: a statement run again and
    /// again (or a few taking turns, like a read-only group's guard and its members) is found by a
    /// comparison or two instead of hashing its whole SQL text. Inserting or removing an entry moves
    /// slots, so those reset it; updating an entry's `lastUse` in place does not.
    private var recent: [[Key: Entry].Index] = []
    /// How many slots `recent` remembers.
    static let recentSlots = 4
    private var clock: UInt64 = 0
    private var counter: UInt64 = 0
    /// Lookups answered from the cache, and statements prepared.
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var isEnabled: Bool { capacity > 0 }
    var count: Int { entries.count }

    /// The prepared name for `key` if cached, marking it used.
    mutating func lookup(_ key: Key) -> String? {
        clock += 1
        // A recent slot when one holds this key, else one hash of the key (the whole SQL text).
        let i: [Key: Entry].Index
        if let r = recent.firstIndex(where: { entries.keys[$0] == key }) {
            i = recent[r]
            if r > 0 { recent.swapAt(r, r - 1) }  // one step towards the front: the hottest stay first
        } else if let found = entries.index(forKey: key) {
            i = found
            remember(i)
        } else {
            misses += 1
            return nil
        }
        hits += 1
        entries.values[i].lastUse = clock
        return entries.values[i].name
    }

    /// Puts slot `i` first in `recent`, dropping the least recent when full.
    private mutating func remember(_ i: [Key: Entry].Index) {
        if recent.count == Self.recentSlots { recent.removeLast() }
        recent.insert(i, at: 0)
    }

    /// A fresh statement name.
    mutating func nextName() -> String {
        counter += 1
        return "ps_\(counter)"
    }

    /// Adds `key` under `name` (from ``nextName()``); returns the evicted name when the cache was full (the
    /// caller deallocates it on the server).
    mutating func insert(_ key: Key, name: String) -> String? {
        var evicted: String?
        if entries.count >= capacity, let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[victim.key] = nil
            evicted = victim.value.name
        }
        clock += 1
        entries[key] = Entry(name: name, lastUse: clock)
        recent.removeAll(keepingCapacity: true)
        if let i = entries.index(forKey: key) { remember(i) }
        return evicted
    }

    /// Forgets a statement (it failed to prepare, or the server no longer has it).
    mutating func remove(_ key: Key) {
        entries[key] = nil
        recent.removeAll(keepingCapacity: true)
    }

    /// Forgets `key` only if it still maps to `name` (a newer statement for the same key stays).
    mutating func remove(_ key: Key, ifNamed name: String) {
        if entries[key]?.name == name {
            entries[key] = nil
            recent.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets everything (after a reconnect the server has none of them).
    mutating func removeAll() {
        entries.removeAll()
        recent.removeAll(keepingCapacity: true)
    }
}
