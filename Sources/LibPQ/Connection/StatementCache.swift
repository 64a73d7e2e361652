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
    /// The key of the last hit or insert, with its name: a statement run again and again is found by one
    /// comparison instead of hashing its whole SQL text.
    private var recent: (key: Key, name: String)?
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
        if let recent, recent.key == key {
            hits += 1
            // Its `lastUse` is refreshed when another statement takes its place as the recent one.
            return recent.name
        }
        touchRecent()
        // One hash of the key (the whole SQL text): find the slot, then update it in place.
        guard let i = entries.index(forKey: key) else {
            misses += 1
            return nil
        }
        hits += 1
        entries.values[i].lastUse = clock
        recent = (key, entries.values[i].name)
        return entries.values[i].name
    }

    /// Records the recent statement's uses (answered without touching `entries`) before it stops being
    /// the recent one, so eviction still sees it as used.
    private mutating func touchRecent() {
        guard let recent else { return }
        if let i = entries.index(forKey: recent.key) { entries.values[i].lastUse = clock }
        self.recent = nil
    }

    /// A fresh statement name.
    mutating func nextName() -> String {
        counter += 1
        return "ps_\(counter)"
    }

    /// Adds `key` under `name` (from ``nextName()``); returns the evicted name when the cache was full (the
    /// caller deallocates it on the server).
    mutating func insert(_ key: Key, name: String) -> String? {
        touchRecent()
        var evicted: String?
        if entries.count >= capacity, let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[victim.key] = nil
            evicted = victim.value.name
        }
        clock += 1
        entries[key] = Entry(name: name, lastUse: clock)
        recent = (key, name)
        return evicted
    }

    /// Forgets a statement (it failed to prepare, or the server no longer has it).
    mutating func remove(_ key: Key) {
        entries[key] = nil
        if recent?.key == key { recent = nil }
    }

    /// Forgets `key` only if it still maps to `name` (a newer statement for the same key stays).
    mutating func remove(_ key: Key, ifNamed name: String) {
        if entries[key]?.name == name { entries[key] = nil }
        if let recent, recent.key == key, recent.name == name { self.recent = nil }
    }

    /// Forgets everything (after a reconnect the server has none of them).
    mutating func removeAll() {
        entries.removeAll()
        recent = nil
    }
}
