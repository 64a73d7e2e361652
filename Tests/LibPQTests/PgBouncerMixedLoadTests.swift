import Foundation
@_spi(PoolInternals) @testable import LibPQ
import TestSupport
import Testing

/// The load that gave wrong answers through PgBouncer with the statement cache on ("ps_1 already exists",
/// "bind message supplies 0 parameters", a String column receiving another statement's bigint): two pools
/// (two application instances) sharing PgBouncer's server connections, each running statements of
/// different shapes and result types concurrently, every value checked.
@Suite(.enabled(if: PgBouncerDatabase.isConfigured, PgBouncerDatabase.skipMessage), .timeLimit(.minutes(3)))
struct PgBouncerMixedLoadTests {
    /// One statement of the mix, run on `pool`; returns nil when its answer is right, else what was wrong.
    static func run(_ shape: Int, _ i: Int, on pool: PostgresPool, instance: Int) async throws -> String? {
        let timeout: Duration = .seconds(30)
        switch shape {
        case 0:
            let n = Int64(i) * 1_000_003
            let got = try await pool.query("SELECT \(n) + 1", timeout: timeout)[0].decode(Int64.self, at: 0)
            return got == n + 1 ? nil : "int8 \(got) for \(n + 1)"
        case 1:
            let text = "v\(i)"
            let got = try await pool.query("SELECT \(text) || '-' || \(text)", timeout: timeout)[0].decode(String.self, at: 0)
            return got == "\(text)-\(text)" ? nil : "text \(got)"
        case 2:
            let (a, b, c) = try await pool.query(
                "SELECT \(Int32(i)), \(Double(i) / 4), \(i % 2 == 0)", timeout: timeout)[0].decode((Int32, Double, Bool).self)
            return a == Int32(i) && b == Double(i) / 4 && c == (i % 2 == 0) ? nil : "tuple \(a) \(b) \(c)"
        case 3:
            let key = "k\(instance)-\(i)"
            let got = try await pool.query(
                "INSERT INTO kv (k, v, n) VALUES (\(key), \(key.uppercased()), \(Int64(i))) RETURNING v, n", timeout: timeout)[0]
                .decode((String, Int64).self)
            return got.0 == key.uppercased() && got.1 == Int64(i) ? nil : "insert returned \(got)"
        case 4:
            let series: PostgresQuery = "SELECT g, g::text FROM generate_series(1, \(Int32(i % 7 + 1))) g"
            let rows = try await pool.query(series.readOnly(), timeout: timeout)
            let got = try rows.decode((Int32, String).self)
            let expected = (1...Int32(i % 7 + 1)).map { ($0, String($0)) }
            return got.count == expected.count && zip(got, expected).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
                ? nil : "series \(got.count) rows"
        default:
            // Reads a row this instance wrote earlier in the run (shape 3 at i - 2), when it exists.
            let key = "k\(instance)-\(max(0, i - 3))"
            let read: PostgresQuery = "SELECT v, n FROM kv WHERE k = \(key)"
            let rows = try await pool.query(read.readOnly(), timeout: timeout)
            guard let row = rows.first else { return nil }  // not written yet: nothing to check
            let got = try row.decode((String, Int64).self)
            return got.0 == key.uppercased() && got.1 == Int64(max(0, i - 3)) ? nil : "kv read \(got)"
        }
    }

    @Test func twoThousandStatementsOfSixShapesThroughPgBouncerAllAnswerRightly() async throws {
        try await PgBouncerDatabase.withDatabase { db in
            let admin = try await PostgresConnection.connect(configuration: try PgBouncerDatabase.direct(db))
            try await admin.execute(script: "CREATE TABLE kv (k text PRIMARY KEY, v text NOT NULL, n bigint NOT NULL)")
            await admin.close()
            let configuration = try PgBouncerDatabase.bouncer(db)  // the defaults: pooler .automatic
            let (problems, done) = try await PgBouncerDatabase.withPool(configuration, { $0.maximumConnections = 6 }) { first in
                try await PgBouncerDatabase.withPool(configuration, { $0.maximumConnections = 6 }) { second in
                    try await withThrowingTaskGroup(of: ([String], Int).self) { group in
                        for worker in 0..<64 {
                            let pool = worker % 2 == 0 ? first : second
                            let instance = worker % 2
                            group.addTask {
                                // 64 workers × 32 statements = 2,048: each worker walks every shape.
                                var problems: [String] = []
                                var done = 0
                                for step in 0..<32 {
                                    let i = worker / 2 * 32 + step
                                    do {
                                        if let problem = try await Self.run((worker + step) % 6, i, on: pool, instance: instance) {
                                            problems.append(problem)
                                        }
                                    } catch {
                                        problems.append("error: \(error)")
                                    }
                                    done += 1
                                }
                                return (problems, done)
                            }
                        }
                        return try await group.reduce(into: ([String](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
                    }
                }
            }
            #expect(done == 2_048)
            #expect(problems.isEmpty, "\(problems.count) wrong answers, first: \(problems.prefix(5))")
        }
    }
}
