@testable import Sessions
import Testing

/// Which lookups a lagging standby may answer (no server needed).
@Suite struct ReplicaFloorsTests {
    let a = SessionCacheKey(hash: String(repeating: "a", count: 64))
    let b = SessionCacheKey(hash: String(repeating: "b", count: 64))

    @Test func aChangedSessionGoesToThePrimaryUntilTheStandbyHasReplayedPastThePrimarysPosition() {
        let floors = ReplicaFloors()
        #expect(floors.route(a) == .replica(atLeast: 0))
        floors.markChanged(a)
        #expect(floors.route(a) == .primary)
        #expect(floors.route(b) == .replica(atLeast: 0))  // other sessions are not held back
        let started = floors.sequence
        floors.primaryRead(a, position: 1_000, startedAt: started)
        #expect(floors.route(a) == .replica(atLeast: 1_000))
        floors.replicaRead(position: 999)
        #expect(floors.route(a) == .replica(atLeast: 1_000))
        floors.replicaRead(position: 1_000)
        #expect(floors.route(a) == .replica(atLeast: 0))
        #expect(floors.waiting == 0)
    }

    @Test func aChangeDuringAPrimaryReadKeepsTheSessionOnThePrimary() {
        let floors = ReplicaFloors()
        floors.markChanged(a)
        let started = floors.sequence
        floors.markChanged(a)  // announced while the primary read ran: that read may predate it
        floors.primaryRead(a, position: 500, startedAt: started)
        #expect(floors.route(a) == .primary)
        floors.primaryRead(a, position: 600, startedAt: floors.sequence)
        #expect(floors.route(a) == .replica(atLeast: 600))
    }

    @Test func missedNotificationsOrTooManyPendingSessionsHoldBackEverySession() {
        let floors = ReplicaFloors(capacity: 2)
        floors.markAllChanged()
        #expect(floors.route(b) == .primary)
        floors.primaryRead(b, position: 70, startedAt: floors.sequence)
        #expect(floors.route(a) == .replica(atLeast: 70))
        floors.replicaRead(position: 70)
        #expect(floors.route(a) == .replica(atLeast: 0))
        // Past the capacity the per-session marks turn into one for all.
        floors.markChanged(a)
        floors.markChanged(b)
        floors.markChanged(SessionCacheKey(hash: String(repeating: "c", count: 64)))
        #expect(floors.route(SessionCacheKey(hash: String(repeating: "d", count: 64))) == .primary)
    }
}
