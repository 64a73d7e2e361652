import Synchronization

/// Which sessions a standby may answer for, by WAL position (LSN), so that lookups on a lagging standby never
/// miss a change the store knows of.
///
/// A change to a session (made by this store, or announced by another store's notification) marks its key
/// *pending*: its next lookup goes to the primary, which also returns its current WAL position `P`. The
/// change committed before that read started (a notification is delivered after its commit; a store's own
/// change returned before), so a standby that has replayed `P` shows it: the key's floor becomes `P`, and
/// its lookups go to the standby again once the standby reports (with each answer) a replay position of at
/// least `P`. Keys whose floor the standby has passed are forgotten.
///
/// A session created elsewhere and not yet replayed is simply not found on the standby: the store asks the
/// primary then (see `SessionStore.fetch`). When the listener lost notifications (it reconnected) or more
/// keys are pending than ``capacity``, the whole standby waits for the primary's position like one key.
final class ReplicaFloors: Sendable {
    /// Where a lookup goes.
    enum Route: Equatable {
        case primary
        /// The standby, if it has replayed at least this position (0: any).
        case replica(atLeast: UInt64)
    }

    private struct State {
        /// Per key: the primary's position the standby must reach, or `pending` (marked at `sequence`).
        var floors: [SessionCacheKey: Floor] = [:]
        /// A floor for every key (after notifications may have been missed).
        var global = Floor.position(0)
        /// The highest replay position a standby reported.
        var replayed: UInt64 = 0
        var sequence: UInt64 = 0
    }

    enum Floor: Equatable {
        case pending(since: UInt64)
        case position(UInt64)
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// A change to `key` committed (or is about to be announced): its lookups go to the primary until the
    /// standby has replayed past the primary's position read afterwards.
    func markChanged(_ key: SessionCacheKey) {
        state.withLock { s in
            s.sequence &+= 1
            if s.floors.count >= capacity, s.floors[key] == nil {
                s.floors.removeAll(keepingCapacity: true)
                s.global = .pending(since: s.sequence)
            } else {
                s.floors[key] = .pending(since: s.sequence)
            }
        }
    }

    /// Notifications may have been missed: every key waits for the primary's position.
    func markAllChanged() {
        state.withLock { s in
            s.sequence &+= 1
            s.floors.removeAll(keepingCapacity: true)
            s.global = .pending(since: s.sequence)
        }
    }

    /// The sequence a primary read started at; pass it to ``primaryRead(_:position:startedAt:)``.
    var sequence: UInt64 { state.withLock { $0.sequence } }

    /// Where to look `key` up now.
    func route(_ key: SessionCacheKey) -> Route {
        state.withLock { s in
            var atLeast: UInt64 = 0
            for floor in [s.global, s.floors[key] ?? .position(0)] {
                switch floor {
                case .pending: return .primary
                case .position(let p): atLeast = max(atLeast, p)
                }
            }
            return .replica(atLeast: atLeast)
        }
    }

    /// The primary answered a lookup of `key` that started at `startedAt` (``sequence``) at WAL position
    /// `position`: pending marks made before it start waiting for that position.
    func primaryRead(_ key: SessionCacheKey, position: UInt64, startedAt: UInt64) {
        state.withLock { s in
            if case .pending(let since) = s.global, since <= startedAt { s.global = .position(position) }
            if case .pending(let since) = s.floors[key], since <= startedAt { s.floors[key] = .position(position) }
            Self.prune(&s)
        }
    }

    /// A standby answered, having replayed up to `position`.
    func replicaRead(position: UInt64) {
        state.withLock { s in
            guard position > s.replayed else { return }
            s.replayed = position
            Self.prune(&s)
        }
    }

    /// The highest replay position a standby reported.
    var replayed: UInt64 { state.withLock { $0.replayed } }

    /// Keys waiting for the primary or for the standby (for tests and statistics).
    var waiting: Int { state.withLock { $0.floors.count } }

    private static func prune(_ s: inout State) {
        if case .position(let p) = s.global, p <= s.replayed { s.global = .position(0) }
        let replayed = s.replayed
        s.floors = s.floors.filter { _, floor in
            if case .position(let p) = floor { return p > replayed }
            return true
        }
    }
}
