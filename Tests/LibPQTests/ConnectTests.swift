import Foundation
import LibPQ
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConnectTests {
    @Test func badURIIsAnInvalidConfiguration() throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConfiguration(url: "postgres://u:hunter2@host:notaport/db") }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("notaport"))
        #expect(!error.description.contains("hunter2"))
        let e3 = try #require(throws: PostgresError.self) { try PostgresConfiguration(url: "postgres://u:hun%zzter2@host/db") }
        #expect(e3.code == .invalidConfiguration)
        #expect(!e3.description.contains("hun%zzter2") && !e3.description.contains("zzter2"))
        let e4 = try #require(throws: PostgresError.self) { try PostgresConfiguration(url: "postgres://u:pw@host/db?nosuch=1") }
        #expect(e4.description.contains("nosuch"))
        let e2 = try #require(throws: PostgresError.self) { try PostgresConfiguration("host=x bogus_option=1 password=hunter2") }
        #expect(e2.code == .invalidConfiguration)
        #expect(e2.description.contains("bogus_option"))
        #expect(!e2.description.contains("hunter2"))
    }

    @Test func configurationParsesURIAndKeyValueAndRedactsPassword() throws {
        let uri = try PostgresConfiguration("postgresql://app:s3cret@db.example:6543/shop?sslmode=disable&connect_timeout=7")
        #expect(uri["host"] == "db.example")
        #expect(uri["port"] == "6543")
        #expect(uri["dbname"] == "shop")
        #expect(uri["user"] == "app")
        #expect(uri["sslmode"] == "disable")
        #expect(uri.connectTimeout == .seconds(7))
        #expect(!uri.description.contains("s3cret"))
        let kv = try PostgresConfiguration("host=/tmp port=5433 dbname=x password='a b' sslpassword=keypass")
        #expect(kv["port"] == "5433" && kv["password"] == "a b")
        #expect(!kv.description.contains("a b") && !kv.description.contains("keypass"))
    }

    @Test func connectionRefusedFailsFastWithConnectionError() async throws {
        let port = try unusedPort()
        let start = ContinuousClock.now
        var config = try PostgresConfiguration("postgres://postgres:topsecret@127.0.0.1:\(port)/postgres")
        config.connectTimeout = .seconds(20)
        let error = try await #require(throws: PostgresError.self) { try await PostgresConnection.connect(configuration: config) }
        #expect(error.code == .connection)
        #expect(error.description.contains("refused"))
        #expect(!error.description.contains("topsecret"))
        // A refusal is reported at once, not when the connect timeout passes.
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func silentServerHitsTheConnectTimeout() async throws {
        // A listening socket that never answers: the TCP handshake completes, the startup reply never comes.
        let (fd, port) = try silentListener()
        defer { close(fd) }
        var config = try PostgresConfiguration("postgres://postgres:topsecret@127.0.0.1:\(port)/postgres")
        config.connectTimeout = .milliseconds(500)
        let start = ContinuousClock.now
        let error = try await #require(throws: PostgresError.self) { try await PostgresConnection.connect(configuration: config) }
        #expect(error.code == .timeout)
        // Generous slack for a loaded CI machine; without the timeout this would never return.
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
    func wrongPasswordNeverAppearsInTheError() async throws {
        var config = try TestDatabase.configuration()
        config["password"] = "Wr0ng-Pa55word-Secret"
        config["sslmode"] = "disable"
        if config["host"] == nil { config["host"] = "127.0.0.1" }
        let error = try await #require(throws: PostgresError.self) { try await PostgresConnection.connect(configuration: config) }
        #expect(error.code == .connection)
        #expect(!error.description.contains("Wr0ng-Pa55word-Secret"))
        #expect(!error.debugDescription.contains("Wr0ng-Pa55word-Secret"))
    }

    @Test(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
    func bothEventLoopsRunQueries() async throws {
        for loop in [PostgresEventLoop.epoll, .dispatch] {
            let c = try await TestDatabase.connect { $0.eventLoop = loop }
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<20 { group.addTask { try await c.query("SELECT \(Int64(i))")[0].decode(Int64.self, at: 0) } }
                return try await group.reduce(0, +)
            }
            #expect(values == 190)
            await c.close()
        }
    }
}

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct LoopExecutorTests {
    @Test func tasksPreferringTheLoopRunOnItAndQueryWithoutHops() async throws {
        let loop = PostgresEventLoop.epoll
        let executor = try #require(loop.taskExecutor)
        let c = try await TestDatabase.connect { $0.eventLoop = loop }
        let sum = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<64 {
                group.addTask(executorPreference: executor) {
                    // Errors stay per query on the loop path too.
                    if i == 7 { return (try? await c.query("SELECT 1/0", timeout: nil)) == nil ? 0 : -1000 }
                    return try await c.query("SELECT \(Int64(i))", timeout: nil)[0].decode(Int64.self, at: 0)
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sum == (0..<64).reduce(0, +) - 7)
        // A timeout still cancels on the server from the loop path.
        let error = try await withTaskExecutorPreference(executor) {
            try await #require(throws: PostgresError.self) { try await c.query("SELECT pg_sleep(30)", timeout: .milliseconds(200)) }
        }
        #expect(error.code == .timeout)
        #expect(try await c.query("SELECT 2::int8")[0].decode(Int64.self, at: 0) == 2)
        await c.close()
        #expect(PostgresEventLoop.dispatch.taskExecutor == nil)
    }
}

private func unusedPort() throws -> Int {
    let (fd, port) = try silentListener()
    close(fd)
    return port
}

/// Opens a TCP socket on 127.0.0.1 that listens but never accepts.
private func silentListener() throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    let ok = withUnsafePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0, listen(fd, 8) == 0 else { throw PostgresError(code: .connection, message: "test listener failed") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}
