import Foundation
import LibPQ
import TestSupport
import Testing

/// Shared epoll loops for ``PostgresPool/Configuration/eventLoops``.
@Suite struct EpollLoopsTests {
    @Test func epollLoopsAreSharedDistinctAndStartWithTheDefaultLoop() {
        let loops = PostgresEventLoop.epollLoops(3)
        #expect(loops.count == 3)
        #expect(loops[0].isSame(as: .epoll))
        #expect(!loops[0].isSame(as: loops[1]) && !loops[1].isSame(as: loops[2]) && !loops[0].isSame(as: loops[2]))
        let again = PostgresEventLoop.epollLoops(2)
        #expect(again.count == 2 && again[1].isSame(as: loops[1]))
        #expect(PostgresEventLoop.epollLoops(0).count == 1)
        #expect(!loops[1].isCurrent)
    }

    @Test func tasksAreSpreadOverLoopsInTurn() throws {
        let loops = PostgresEventLoop.epollLoops(2)
        func executor(_ task: Int) -> AnyObject? {
            PostgresEventLoop.taskExecutor(forTask: task, spreadOver: loops).map { $0 as AnyObject }
        }
        let first = try #require(loops[0].taskExecutor) as AnyObject
        let second = try #require(loops[1].taskExecutor) as AnyObject
        #expect(executor(0) === first && executor(1) === second && executor(2) === first && executor(7) === second)
        #expect(executor(-1) === second)
        #expect(PostgresEventLoop.taskExecutor(forTask: 3, spreadOver: []) == nil)
    }

    /// The loop's thread carries the loop's name where the system shows threads (`top -H`, `perf`), so a
    /// profile tells it from Swift's executor threads. Foundation's `Thread.name` alone did not name it.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm")))
    func theLoopThreadCarriesTheLoopsName() async throws {
        let loop = PostgresEventLoop.makeEpoll(name: "test-named-loop")
        let executor = try #require(loop.taskExecutor)
        let name = try await Task(executorPreference: executor) {
            try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        }.value
        #expect(name == "test-named-loop\n")
    }

    @Test func theUsualLoopCountIsOnePerCoreButNoMoreThanConnections() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(PostgresEventLoop.loopCount(forConnections: 1) == 1)
        #expect(PostgresEventLoop.loopCount(forConnections: 0) == 1)
        #expect(PostgresEventLoop.loopCount(forConnections: 1000) == cores)
        #expect(PostgresEventLoop.loopCount(forConnections: 2) == min(2, cores))
    }
}

/// A pool spread over several event loops, against a real server.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct EventLoopPoolTests {
    @Test func callersOnALoopGetConnectionsOfThatLoop() async throws {
        let loops = [PostgresEventLoop.makeEpoll(name: "test-loop-a"), PostgresEventLoop.makeEpoll(name: "test-loop-b")]
        let executors = try loops.map { try #require($0.taskExecutor) }
        let configure: (inout PostgresPool.Configuration) -> Void = {
            $0.eventLoops = loops
            $0.maximumConnections = 2
            $0.maximumPipelineDepth = 16
            $0.packingDepth = 16  // read-only queries stay on their loop's connection; with 1 they would spread
            $0.healthCheckInterval = nil  // a connection being checked would send its loop's callers elsewhere
        }
        try await TestDatabase.withPool(configure) { pool, _ in
            // A caller on loop 0 holds a connection while a caller on loop 1 asks for one: the pool opens
            // the second connection on loop 1.
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            let first = Task(executorPreference: executors[0]) {
                try await pool.withConnection { connection in
                    #expect(loops[0].isCurrent)
                    holding.yield()
                    for await _ in release { break }
                    return (connection.backendPID, connection.eventLoop.isSame(as: loops[0]))
                }
            }
            for await _ in held { break }
            let second = try await Task(executorPreference: executors[1]) {
                try await pool.withConnection { connection in
                    (connection.backendPID, connection.eventLoop.isSame(as: loops[1]))
                }
            }.value
            releasing.yield()
            let firstResult = try await first.value
            #expect(firstResult.1, "loop 0's caller got a connection of another loop")
            #expect(second.1, "loop 1's caller got a connection of another loop")
            #expect(firstResult.0 != second.0)
            let backends = [firstResult.0, second.0]

            // 16 callers per loop, pipelined read-only queries: each runs on its own loop's connection,
            // and every caller gets its own answers.
            let answers = try await withThrowingTaskGroup(of: [(caller: Int, value: Int64, pid: Int32)].self) { group in
                for caller in 0..<32 {
                    group.addTask(executorPreference: executors[caller % 2]) {
                        var out: [(caller: Int, value: Int64, pid: Int32)] = []
                        for k in 0..<5 {
                            let value = Int64(caller * 10 + k)
                            let rows = try await pool.query(PostgresQuery("SELECT \(value)::int8, pg_backend_pid()").readOnly())
                            out.append((caller, try rows[0].decode(Int64.self, at: 0), try rows[0].decode(Int32.self, at: 1)))
                        }
                        return out
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(answers.count == 160)
            for caller in 0..<32 {
                let mine = answers.filter { $0.caller == caller }
                #expect(mine.map(\.value) == (0..<5).map { Int64(caller * 10 + $0) })
                #expect(mine.allSatisfy { $0.pid == backends[caller % 2] }, "caller \(caller) left its loop")
            }
            #expect(pool.statistics.openConnections == 2)
        }
    }

    @Test func aPoolOverTwoLoopsRecoversAfterEveryConnectionIsTerminated() async throws {
        let loops = [PostgresEventLoop.makeEpoll(name: "test-loop-c"), PostgresEventLoop.makeEpoll(name: "test-loop-d")]
        let executors = try loops.map { try #require($0.taskExecutor) }
        try await TestDatabase.withPool({ $0.eventLoops = loops; $0.maximumConnections = 4 }) { pool, app in
            func sumFromBothLoops() async throws -> Int64 {
                try await withThrowingTaskGroup(of: Int64.self) { group in
                    for i in Int64(0)..<20 {
                        group.addTask(executorPreference: executors[Int(i) % 2]) {
                            try await pool.query("SELECT \(i)::int8, pg_sleep(0.01)")[0].decode(Int64.self, at: 0)
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            #expect(try await sumFromBothLoops() == 190)
            let observer = try await TestDatabase.connect()
            defer { Task { await observer.close() } }
            let killed = try await observer.query(
                "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity WHERE application_name = \(app)")
            #expect(try killed[0].decode(Int64.self, at: 0) > 0)
            #expect(await TestDatabase.eventually { pool.statistics.openConnections == 0 })
            // New connections open on both loops; every caller gets its answer.
            #expect(try await sumFromBothLoops() == 190)
        }
    }
}
