import ArgumentParser
import Foundation
import LibPQ

/// Compares this package's `PostgresPool` with postgres-nio's `PostgresClient` (and, through
/// scripts/bench, with pgbench) on Vendure-like session workloads. Run through scripts/bench, which loads
/// the data set and runs pgbench beside it.
@main
struct PeerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer-bench",
        abstract: "PostgresPool vs postgres-nio (vs pgbench, through scripts/bench) on session workloads.",
        subcommands: [Run.self, Report.self, SQL.self])
}

/// Measures one cell and prints one `RESULT` line.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure one client × workload × concurrency.")

    enum Client: String, ExpressibleByArgument, CaseIterable { case libpq, libpqconnection, postgresnio }

    @Option(help: "libpq (this package's PostgresPool), libpqconnection (one PostgresConnection, no pool) or postgresnio.")
    var client: Client
    @Option(help: "lookup, create, set-active-order or mixed.") var workload: String
    @Option(help: "Concurrent tasks.") var concurrency: Int
    @Option(help: "Measured seconds.") var seconds: Double = 3
    @Option(help: "Warm-up seconds (not measured).") var warmup: Double = 0.5
    @Option(help: "Sessions loaded (ids 1...n).") var sessions: Int = 100_000
    @Option(help: "Orders loaded.") var orders: Int = 10_000
    @Option(help: "Channels loaded.") var channels: Int = 3
    @Option(help: "PostgresPool maximumConnections.") var poolConnections: Int = 4
    @Option(help: "PostgresPool maximumPipelineDepth.") var pipelineDepth: Int = 16
    @Option(help: "PostgresPool packingDepth.") var packingDepth: Int = 1
    @Option(help: "PostgresPool eventLoops: epoll loops (threads) the connections are spread over (default: one per core, at most one per pool connection).")
    var loops: Int?
    @Option(help: "Run this package's client tasks on the epoll loops (their TaskExecutors): true or false.")
    var loopExecutor: Bool = true
    @Option(help: "Mark lookups read-only, so lookups sent together share a sync point: true or false.")
    var readOnlyLookups: Bool = true
    @Option(help: "postgres-nio maximum connections (default: min(concurrency, 16)).") var nioConnections: Int?
    @Option(name: .customLong("database-url"), help: "Database URL (default: DATABASE_URL).")
    var databaseURL: String?

    func run() async throws {
        guard let workload = Workload(rawValue: workload) else {
            throw ValidationError("unknown workload \(self.workload)")
        }
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError("pass --database-url or set DATABASE_URL")
        }
        let c: any BenchClient =
            switch client {
            case .libpq:
                try LibPQClient(
                    url: url, maximumConnections: poolConnections, pipelineDepth: pipelineDepth, packingDepth: packingDepth,
                    loops: loops ?? PostgresEventLoop.loopCount(forConnections: poolConnections), loopExecutor: loopExecutor,
                    readOnlyLookups: readOnlyLookups)
            case .libpqconnection:
                try await LibPQConnectionClient(url: url)
            case .postgresnio:
                try NIOClient(url: url, maximumConnections: nioConnections ?? min(concurrency, 16))
            }
        let data = DataSet(sessions: sessions, orders: orders, channels: channels)
        let outcome: Result<CellResult, any Error>
        do {
            outcome = .success(
                try await measure(
                    c, workload: workload, concurrency: concurrency, data: data, warmup: warmup, seconds: seconds))
        } catch {
            outcome = .failure(error)
        }
        // Closed on failure too, before the error ends the process: a connection the pool is still opening
        // runs libpq (and OpenSSL) on another thread, and exiting under it crashed in OpenSSL's exit
        // handlers (SIGSEGV instead of the error and exit status 1).
        await c.close()
        let r = try outcome.get()
        print(
            ResultLine(
                client: client.rawValue, workload: workload.rawValue, concurrency: concurrency,
                opsPerSecond: r.operationsPerSecond, p50: r.p50Micros, p99: r.p99Micros,
                cpuPerOp: r.cpuMicrosPerOperation, peakRSSKB: r.peakRSSKilobytes, operations: r.operations,
                config: c.configurationDescription
            ).text)
    }
}

/// Prints the SQL of a workload (scripts/bench writes pgbench's script files from it).
struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a workload's SQL text.")
    @Argument(help: "lookup, create or set-active-order.") var workload: String

    func run() throws {
        switch Workload(rawValue: workload) {
        case .lookup: print(Workload.lookupSQL)
        case .create: print(Workload.createSQL)
        case .setActiveOrder: print(Workload.setActiveOrderSQL)
        default: throw ValidationError("no single statement for \(workload)")
        }
    }
}
