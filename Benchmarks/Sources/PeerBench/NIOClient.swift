import Foundation
import Logging
import PostgresNIO

/// postgres-nio's `PostgresClient` with its best path: named prepared statements
/// (`PostgresPreparedStatement`), one query per connection at a time.
struct NIOClient: BenchClient {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let configurationDescription: String

    init(url: String, maximumConnections: Int) throws {
        guard let c = URLComponents(string: url), let host = c.host, let user = c.user else {
            throw BenchError.invalidURL(url)
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        var configuration = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: user, password: c.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "nio", factory: { _ in SwiftLogNoOpLogHandler() }))
        self.client = client
        runner = Task { await client.run() }
        configurationDescription =
            "PostgresClient(maximumConnections=\(maximumConnections),minimumConnections=\(maximumConnections),"
            + "PostgresPreparedStatement,tls=disable)"
    }

    struct Lookup: PostgresPreparedStatement {
        static let sql = Workload.lookupSQL
        typealias Row = SessionRow
        var id: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 1)
            b.append(id)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    struct Create: PostgresPreparedStatement {
        static let sql = Workload.createSQL
        typealias Row = Int32
        var channel: Int32
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 1)
            b.append(channel)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int32.self) }
    }

    struct SetActiveOrder: PostgresPreparedStatement {
        static let sql = Workload.setActiveOrderSQL
        typealias Row = Void
        var order: Int32
        var id: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(order)
            b.append(id)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {}
    }

    func lookup(id: Int) async throws -> Int {
        var out: Int?
        for try await row in try await client.execute(Lookup(id: String(id))) {
            out = Int(row.0) &+ row.1.utf8.count
        }
        guard let out else { throw BenchError.missingRow(id) }
        return out
    }

    func create(channel: Int32) async throws -> Int {
        var out = 0
        for try await id in try await client.execute(Create(channel: channel)) { out = Int(id) }
        return out
    }

    func setActiveOrder(id: Int, order: Int32) async throws -> Int {
        var n = 0
        for try await _ in try await client.execute(SetActiveOrder(order: order, id: String(id))) { n += 1 }
        return n
    }

    func close() async {
        runner.cancel()
        await runner.value
    }
}
