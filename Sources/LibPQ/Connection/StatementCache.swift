/// A per-connection LRU of prepared statements, keyed by SQL text and parameter types.
/// Loop-confined (owned by one connection core).
struct StatementCache {
    struct Key: Hashable {
        let sql: String
        let types: [UInt32]
    }

    struct Entry {
        let name: String
        var lastUse: UInt64
    }

    let capacity: Int
    private(set) var entries: [Key: Entry] = [:]
    /// Where the last hit or insert sits in `entries`: a statement run again and again is found by one
    /// comparison instead of hashing its whole SQL text. Inserting or removing an entry moves slots, so
    /// those reset it; updating an entry's `lastUse` in place does not.
    private var recent: [Key: Entry].Index?
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
        // The recent slot when it holds this key, else one hash of the key (the whole SQL text).
        let slot = recent.flatMap { entries.keys[$0] == key ? $0 : nil } ?? entries.index(forKey: key)
        guard let i = slot else {
            misses += 1
            return nil
        }
        hits += 1
        entries.values[i].lastUse = clock
        recent = i
        return entries.values[i].name
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
        recent = entries.index(forKey: key)
        return evicted
    }

    /// Forgets a statement (it failed to prepare, or the server no longer has it).
    mutating func remove(_ key: Key) {
        entries[key] = nil
        recent = nil
    }

    /// Forgets `key` only if it still maps to `name` (a newer statement for the same key stays).
    mutating func remove(_ key: Key, ifNamed name: String) {
        if entries[key]?.name == name {
            entries[key] = nil
            recent = nil
        }
    }

    /// Forgets everything (after a reconnect the server has none of them).
    mutating func removeAll() {
        entries.removeAll()
        recent = nil
    }
}
