/// A dictionary that remembers the order its entries were last used in and drops the least recently used
/// one when it grows past its capacity. Every operation is O(1): the recency order is a doubly linked list
/// threaded through an array of nodes (indices, no references), with freed slots reused.
struct LRUDictionary<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value
        var previous: Int  // towards the most recently used; -1 at the head
        var next: Int  // towards the least recently used; -1 at the tail
    }

    /// The most entries kept.
    let capacity: Int
    private var nodes: [Node?] = []
    private var index: [Key: Int] = [:]
    private var free: [Int] = []
    private var head = -1  // most recently used
    private var tail = -1  // least recently used

    init(capacity: Int) {
        precondition(capacity > 0, "an LRU needs room for at least one entry")
        self.capacity = capacity
        index.reserveCapacity(min(capacity, 1 << 16))
    }

    var count: Int { index.count }

    /// The value for `key`, marking it most recently used.
    mutating func value(for key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return nodes[i]!.value
    }

    /// The value for `key` without changing the order.
    func peek(_ key: Key) -> Value? {
        index[key].map { nodes[$0]!.value }
    }

    /// Inserts or replaces; returns the entry evicted to make room, if any.
    @discardableResult
    mutating func set(_ value: Value, for key: Key) -> (key: Key, value: Value)? {
        if let i = index[key] {
            nodes[i]!.value = value
            moveToFront(i)
            return nil
        }
        var evicted: (Key, Value)?
        if index.count >= capacity, tail >= 0 {
            let last = nodes[tail]!
            _ = removeValue(for: last.key)
            evicted = (last.key, last.value)
        }
        let node = Node(key: key, value: value, previous: -1, next: head)
        let i: Int
        if let slot = free.popLast() {
            nodes[slot] = node
            i = slot
        } else {
            nodes.append(node)
            i = nodes.count - 1
        }
        if head >= 0 { nodes[head]!.previous = i }
        head = i
        if tail < 0 { tail = i }
        index[key] = i
        return evicted
    }

    /// Removes the entry for `key`; returns its value.
    @discardableResult
    mutating func removeValue(for key: Key) -> Value? {
        guard let i = index.removeValue(forKey: key) else { return nil }
        unlink(i)
        let value = nodes[i]!.value
        nodes[i] = nil
        free.append(i)
        return value
    }

    /// Removes everything.
    mutating func removeAll() {
        nodes.removeAll()
        index.removeAll()
        free.removeAll()
        head = -1
        tail = -1
    }

    /// Keys from most to least recently used (for tests).
    var keysByRecency: [Key] {
        var keys: [Key] = []
        var i = head
        while i >= 0 {
            keys.append(nodes[i]!.key)
            i = nodes[i]!.next
        }
        return keys
    }

    private mutating func unlink(_ i: Int) {
        let previous = nodes[i]!.previous
        let next = nodes[i]!.next
        if previous >= 0 { nodes[previous]!.next = next } else { head = next }
        if next >= 0 { nodes[next]!.previous = previous } else { tail = previous }
        nodes[i]!.previous = -1
        nodes[i]!.next = -1
    }

    private mutating func moveToFront(_ i: Int) {
        guard head != i else { return }
        unlink(i)
        nodes[i]!.next = head
        if head >= 0 { nodes[head]!.previous = i }
        head = i
        if tail < 0 { tail = i }
    }
}
