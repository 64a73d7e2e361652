import Foundation
import LibPQ
import TestSupport
import Testing

/// Many callers on few connections, mixing read-only groups, writes, failures and timeouts: every caller
/// gets exactly its own answer, and what was written is exactly what callers were told was written.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PipelineStressTests {
    enum Outcome: Sendable, Equatable {
        case value(Int64)
        case inserted
        case failed(String)  // SQLSTATE
        case timedOut
    }

    @Test func mixedCallersOnTwoConnectionsEachGetTheirOwnAnswer() async throws {
        try await TestDatabase.withPool({ $0.maximumConnections = 2; $0.maximumPipelineDepth = 16 }) { pool, _ in
            try await pool.query("CREATE TABLE stress (id int8 PRIMARY KEY)")
            let executor = PostgresEventLoop.default.taskExecutor
            let callers = 48
            let rounds = 25
            let outcomes = try await withThrowingTaskGroup(of: [(Int, Outcome)].self) { group in
                for caller in 0..<callers {
                    group.addTask(executorPreference: executor) {
                        var mine: [(Int, Outcome)] = []
                        for round in 0..<rounds {
                            let n = Int64(caller * 1000 + round)
                            // Every caller walks all ten kinds, each from a different starting point, so
                            // at any moment the callers are doing different things.
                            let kind = (caller * 7 + round * 3) % 10
                            let outcome: Outcome
                            do {
                                switch kind {
                                case 0...4:  // read-only, grouped with others
                                    let q: PostgresQuery = "SELECT \(n) * 3"
                                    outcome = .value(try await pool.query(q.readOnly())[0].decode(Int64.self, at: 0))
                                case 5:  // read-only that fails: its group's later members are resent
                                    let q: PostgresQuery = "SELECT 1 / (\(n) - \(n))"
                                    _ = try await pool.query(q.readOnly())
                                    outcome = .value(-1)
                                case 6, 7:  // a write with its own sync point
                                    try await pool.query("INSERT INTO stress VALUES (\(n))")
                                    outcome = .inserted
                                case 8:  // a write that fails (duplicate key)
                                    try await pool.query("INSERT INTO stress VALUES (-1) ON CONFLICT DO NOTHING")
                                    try await pool.query("INSERT INTO stress VALUES (-1)")
                                    outcome = .value(-2)
                                default:  // a slow read-only statement that times out
                                    let q: PostgresQuery = "SELECT pg_sleep(0.2), \(n)"
                                    _ = try await pool.query(q.readOnly(), timeout: .milliseconds(20))
                                    outcome = .value(-3)
                                }
                            } catch let e as PostgresError {
                                outcome = e.code == .timeout ? .timedOut : .failed(e.sqlState ?? "\(e.code)")
                            }
                            mine.append((kind * 1_000_000 + Int(n), outcome))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(outcomes.count == callers * rounds)
            var inserted: Set<Int64> = []
            for (key, outcome) in outcomes {
                let kind = key / 1_000_000
                let n = Int64(key % 1_000_000)
                switch kind {
                case 0...4: #expect(outcome == .value(n * 3), "read \(n): \(outcome)")
                case 5: #expect(outcome == .failed("22012"), "failing read \(n): \(outcome)")
                case 6, 7:
                    #expect(outcome == .inserted, "insert \(n): \(outcome)")
                    if outcome == .inserted { inserted.insert(n) }
                case 8: #expect(outcome == .failed("23505"), "duplicate \(n): \(outcome)")
                default: #expect(outcome == .timedOut, "slow read \(n): \(outcome)")
                }
            }
            let rows = try await pool.query("SELECT id FROM stress WHERE id >= 0 ORDER BY id").decodeColumn(Int64.self)
            #expect(Set(rows) == inserted)
            #expect(rows.count == inserted.count)
        }
    }
}
