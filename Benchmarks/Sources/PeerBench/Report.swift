import ArgumentParser
import Foundation

/// One measured cell, as a line of `key=value` words: `RESULT client=libpq workload=lookup ...`.
struct ResultLine {
    var client: String
    var workload: String
    var concurrency: Int
    var opsPerSecond: Double
    var p50: Double
    var p99: Double
    var cpuPerOp: Double
    var peakRSSKB: Int
    var operations: Int
    var config: String
    /// Which pass over the cells measured it (`round=k`, added by scripts/bench); 0 when absent.
    var round = 0

    var text: String {
        String(
            format: "RESULT client=%@ workload=%@ concurrency=%d ops_per_s=%.1f p50_us=%.1f p99_us=%.1f cpu_us_per_op=%.2f peak_rss_kb=%d ops=%d config=%@",
            client, workload, concurrency, opsPerSecond, p50, p99, cpuPerOp, peakRSSKB, operations, config)
    }

    init(
        client: String, workload: String, concurrency: Int, opsPerSecond: Double, p50: Double, p99: Double,
        cpuPerOp: Double, peakRSSKB: Int, operations: Int, config: String
    ) {
        self.client = client
        self.workload = workload
        self.concurrency = concurrency
        self.opsPerSecond = opsPerSecond
        self.p50 = p50
        self.p99 = p99
        self.cpuPerOp = cpuPerOp
        self.peakRSSKB = peakRSSKB
        self.operations = operations
        self.config = config
    }

    init?(parsing line: Substring) {
        guard line.hasPrefix("RESULT ") else { return nil }
        var f: [String: String] = [:]
        for word in line.dropFirst(7).split(separator: " ") {
            guard let eq = word.firstIndex(of: "=") else { continue }
            f[String(word[..<eq])] = String(word[word.index(after: eq)...])
        }
        guard let client = f["client"], let workload = f["workload"], let c = f["concurrency"].flatMap({ Int($0) })
        else { return nil }
        self.init(
            client: client, workload: workload, concurrency: c, opsPerSecond: Double(f["ops_per_s"] ?? "") ?? 0,
            p50: Double(f["p50_us"] ?? "") ?? 0, p99: Double(f["p99_us"] ?? "") ?? 0,
            cpuPerOp: Double(f["cpu_us_per_op"] ?? "") ?? 0, peakRSSKB: Int(f["peak_rss_kb"] ?? "") ?? 0,
            operations: Int(f["ops"] ?? "") ?? 0, config: f["config"] ?? "")
        round = f["round"].flatMap { Int($0) } ?? 0
    }
}

/// Reads `RESULT` lines and prints the table, the configurations and the `RATIO` lines.
///
/// When a cell was measured in several rounds (scripts/bench's `BENCH_ROUNDS`: passes over all the cells,
/// one after the other, so that each client's runs of a cell are spread over the whole benchmark), the
/// table shows each figure's median over the rounds (peak RSS: the largest), and a `RATIO` is the median of
/// the per-round ratios
/// (this package's ops/s over the peer's in the same round): a slow stretch of a shared machine then
/// moves one round, not the figure.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Summarise RESULT lines from a file.")
    @Argument(help: "A file with RESULT lines (other lines are ignored).") var file: String

    func run() throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let results = text.split(separator: "\n").compactMap(ResultLine.init(parsing:))
        let clients = ["libpq", "postgresnio", "pgbench"]
        let workloads = Workload.allCases.map(\.rawValue)
        let concurrencies = Array(Set(results.map(\.concurrency))).sorted()
        let rounds = Set(results.map(\.round)).count
        func all(_ client: String, _ w: String, _ c: Int) -> [ResultLine] {
            results.filter { $0.client == client && $0.workload == w && $0.concurrency == c }
        }

        print("Configurations:")
        for client in clients {
            if let r = results.last(where: { $0.client == client }) { print("  \(client): \(r.config)") }
        }
        if rounds > 1 { print("  \(rounds) rounds per cell: medians over the rounds; RATIO = median of per-round ratios") }
        print("")
        print(
            "| workload | conc | client | ops/s | p50 µs | p99 µs | client CPU µs/op | peak RSS MB |\n"
                + "|---|---:|---|---:|---:|---:|---:|---:|")
        for w in workloads {
            for c in concurrencies {
                for client in clients {
                    let rs = all(client, w, c)
                    guard !rs.isEmpty else { continue }
                    print(
                        String(
                            format: "| %@ | %d | %@ | %.0f | %.0f | %.0f | %.1f | %.1f |", w, c, client,
                            median(rs.map(\.opsPerSecond)), median(rs.map(\.p50)), median(rs.map(\.p99)),
                            median(rs.map(\.cpuPerOp)), Double(rs.map(\.peakRSSKB).max() ?? 0) / 1024))
                }
            }
        }
        print("")
        for w in workloads {
            for c in concurrencies {
                let ours = all("libpq", w, c)
                guard !ours.isEmpty else { continue }
                for (peer, name) in [("pgbench", "pgbench"), ("postgresnio", "postgresnio")] {
                    let theirs = all(peer, w, c)
                    // Pair each round's runs; a cell measured once pairs its last runs.
                    var ratios: [Double] = []
                    for r in Set(ours.map(\.round)) {
                        guard let a = ours.last(where: { $0.round == r }), let b = theirs.last(where: { $0.round == r }),
                            b.opsPerSecond > 0
                        else { continue }
                        ratios.append(a.opsPerSecond / b.opsPerSecond)
                    }
                    guard !ratios.isEmpty else { continue }
                    print(String(format: "RATIO workload=%@ concurrency=%d vs=%@ value=%.2f", w, c, name, median(ratios)))
                }
            }
        }
    }
}

/// The median (the mean of the two middle values for an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    guard !v.isEmpty else { return 0 }
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
}
