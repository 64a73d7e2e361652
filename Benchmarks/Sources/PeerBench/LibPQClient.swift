import Foundation
import LibPQ

/// The workloads' operations on what this package queries through: a pool or one connection.
protocol LibPQOperations: BenchClient {
    associatedtype Database: PostgresQueryable
    var database: Database { get }
    /// Whether lookups are marked read-only (`PostgresQuery.readOnly()`).
    var readOnlyLookups: Bool { get }
}

extension LibPQOperations {
    func lookup(id: Int) async throws -> Int {
        let rows = try await database.query(LibPQClient.lookupQuery(String(id)).readOnly(readOnlyLookups))
        guard !rows.isEmpty else { throw BenchError.missingRow(id) }
        // Destructured where it is decoded: binding the whole 13-column tuple (`guard let row = ...`) copied
        // it through the runtime's generic tuple copy, some 800 instructions per lookup.
        let (sessionID, token, _, _, _, _, _, _, _, _, _, _, _) = try rows[0].decode(SessionRow.self)
        return Int(sessionID) &+ token.utf8.count
    }

    func create(channel: Int32) async throws -> Int {
        let rows = try await database.query(LibPQClient.createQuery(channel))
        let id: Int32 = try rows.first(decoding: Int32.self) ?? 0
        return Int(id)
    }

    func setActiveOrder(id: Int, order: Int32) async throws -> Int {
        try await database.query(LibPQClient.setActiveOrderQuery(String(id), order)).affectedRows
    }
}

/// This package's `PostgresPool`: a few connections, concurrent queries pipelined on them.
struct LibPQClient: LibPQOperations {
    let pool: PostgresPool
    let configurationDescription: String
    /// The loops the benchmark's tasks run on (empty: Swift's default executor).
    let taskLoops: [PostgresEventLoop]
    let readOnlyLookups: Bool

    init(
        url: String, maximumConnections: Int, pipelineDepth: Int, packingDepth: Int, loops: Int,
        loopExecutor: Bool, readOnlyLookups: Bool
    ) throws {
        // The pool spreads its connections over `loops` epoll loops (threads). With `loopExecutor`, the
        // benchmark's tasks prefer those loops as their executors, task i the loop i % loops (as a server
        // would run its request handlers there): a task's queries go to a connection of its own loop, so
        // they are sent and resumed with no thread switch.
        let eventLoops = PostgresEventLoop.epollLoops(loops)
        taskLoops = loopExecutor ? eventLoops : []
        // With `readOnlyLookups`, lookups are marked read-only (`PostgresQuery.readOnly()`): those sent to
        // one connection together share one sync point, so the server answers them with one write.
        self.readOnlyLookups = readOnlyLookups
        var configuration = PostgresPool.Configuration()
        configuration.maximumConnections = maximumConnections
        configuration.maximumPipelineDepth = pipelineDepth
        configuration.packingDepth = packingDepth
        configuration.eventLoops = eventLoops.count > 1 ? eventLoops : []
        pool = PostgresPool(configuration: configuration, connection: try PostgresConfiguration(url))
        configurationDescription =
            "PostgresPool(maximumConnections=\(maximumConnections),maximumPipelineDepth=\(pipelineDepth),"
            + "packingDepth=\(packingDepth),eventLoops=\(eventLoops.count),"
            + "preparedStatementCache=on,binary,epoll\(loopExecutor ? ",tasksOnLoopExecutor" : "")"
            + "\(readOnlyLookups ? ",readOnlyLookups" : ""))"
        // The interpolated queries below must produce exactly the SQL the other clients send.
        let id = "1"
        let order: Int32 = 1
        precondition(Self.lookupQuery(id).sql == Workload.lookupSQL)
        precondition(Self.createQuery(order).sql == Workload.createSQL)
        precondition(Self.setActiveOrderQuery(id, order).sql == Workload.setActiveOrderSQL)
    }

    func taskExecutor(forTask task: Int) -> (any TaskExecutor)? {
        PostgresEventLoop.taskExecutor(forTask: task, spreadOver: taskLoops)
    }

    static func lookupQuery(_ id: String) -> PostgresQuery {
        """
        SELECT s."id", s."token", s."expires", s."invalidated", s."type", s."authenticationStrategy", \
        s."userId", s."activeOrderId", o."code", o."state", s."activeChannelId", c."code", c."token" \
        FROM "session" s LEFT JOIN "order" o ON o."id" = s."activeOrderId" \
        LEFT JOIN "channel" c ON c."id" = s."activeChannelId" \
        WHERE s."token" = encode(sha256(\(id)::text::bytea), 'hex')
        """
    }

    static func createQuery(_ channel: Int32) -> PostgresQuery {
        """
        INSERT INTO "session" ("token", "expires", "invalidated", "type", "activeChannelId") \
        VALUES (encode(sha256(gen_random_uuid()::text::bytea), 'hex'), now() + interval '1 year', false, \
        'AnonymousSession', \(channel)) RETURNING "id"
        """
    }

    static func setActiveOrderQuery(_ id: String, _ order: Int32) -> PostgresQuery {
        """
        UPDATE "session" SET "activeOrderId" = \(order), "updatedAt" = now() \
        WHERE "token" = encode(sha256(\(id)::text::bytea), 'hex')
        """
    }

    var database: PostgresPool { pool }

    func close() async { await pool.shutdown() }
}

/// This package's `PostgresConnection` alone, no pool: one connection, concurrent queries pipelined on it,
/// tasks on its loop. It measures what the pool adds per query.
struct LibPQConnectionClient: LibPQOperations {
    let connection: PostgresConnection
    let readOnlyLookups = true
    let configurationDescription = "PostgresConnection(one connection, no pool,preparedStatementCache=on,binary,epoll,tasksOnLoopExecutor,readOnlyLookups)"

    init(url: String) async throws {
        connection = try await PostgresConnection.connect(configuration: try PostgresConfiguration(url))
    }

    func taskExecutor(forTask task: Int) -> (any TaskExecutor)? { connection.eventLoop.taskExecutor }

    var database: PostgresConnection { connection }

    func close() async { await connection.close() }
}

enum BenchError: Error, CustomStringConvertible {
    case missingRow(Int)
    case invalidURL(String)

    var description: String {
        switch self {
        case .missingRow(let id): "no session row for id \(id): is the benchmark data loaded?"
        case .invalidURL(let url): "cannot read host/port/user/password/database from \(url)"
        }
    }
}
