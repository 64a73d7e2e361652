import Foundation

/// The four session-store workloads, and the SQL every client (this package, postgres-nio, pgbench) sends
/// for them: the same text, the same parameters, the same server work. The token of benchmark session `id`
/// is `encode(sha256(id::text::bytea), 'hex')` (64 hex characters, as Vendure's), so pgbench, which cannot
/// build strings, sends the same SQL as the Swift clients: each passes the id as a text parameter and the
/// server computes the token.
enum Workload: String, CaseIterable, Sendable {
    case lookup
    case create
    case setActiveOrder = "set-active-order"
    case mixed

    /// A session by token with its active order and channel: the columns Vendure's `CachedSession` needs.
    static let lookupSQL = """
        SELECT s."id", s."token", s."expires", s."invalidated", s."type", s."authenticationStrategy", \
        s."userId", s."activeOrderId", o."code", o."state", s."activeChannelId", c."code", c."token" \
        FROM "session" s LEFT JOIN "order" o ON o."id" = s."activeOrderId" \
        LEFT JOIN "channel" c ON c."id" = s."activeChannelId" \
        WHERE s."token" = encode(sha256($1::text::bytea), 'hex')
        """

    /// A new anonymous session in a channel; the server makes its random 64-hex token.
    static let createSQL = """
        INSERT INTO "session" ("token", "expires", "invalidated", "type", "activeChannelId") \
        VALUES (encode(sha256(gen_random_uuid()::text::bytea), 'hex'), now() + interval '1 year', false, \
        'AnonymousSession', $1) RETURNING "id"
        """

    /// Sets a session's active order, by token.
    static let setActiveOrderSQL = """
        UPDATE "session" SET "activeOrderId" = $1, "updatedAt" = now() \
        WHERE "token" = encode(sha256($2::text::bytea), 'hex')
        """

    /// The operation to run next: itself, or for `mixed` 90% lookup / 5% create / 5% set-active-order.
    func pick(_ rng: inout FastRandom) -> Workload {
        guard self == .mixed else { return self }
        let r = rng.next(below: 100)
        return r < 90 ? .lookup : r < 95 ? .create : .setActiveOrder
    }
}

/// Row counts of the loaded data set (scripts/bench loads them).
struct DataSet: Sendable {
    var sessions: Int
    var orders: Int
    var channels: Int
}

/// The decoded lookup row (the `CachedSession` columns).
typealias SessionRow = (
    Int32, String, Date, Bool, String, String?, Int32?, Int32?, String?, String?, Int32?, String?, String?
)

/// One client under test. Each call runs one operation and returns something derived from the result, so
/// decoding cannot be optimised away.
protocol BenchClient: Sendable {
    /// A description of the client's configuration, printed with the results.
    var configurationDescription: String { get }
    /// The executor driving task number `task` should prefer (nil: Swift's default pool).
    func taskExecutor(forTask task: Int) -> (any TaskExecutor)?
    func lookup(id: Int) async throws -> Int
    func create(channel: Int32) async throws -> Int
    func setActiveOrder(id: Int, order: Int32) async throws -> Int
    func close() async
}

extension BenchClient {
    func taskExecutor(forTask task: Int) -> (any TaskExecutor)? { nil }

    /// Runs one operation of `workload` (not `mixed`) with random arguments.
    func run(_ workload: Workload, data: DataSet, rng: inout FastRandom) async throws -> Int {
        switch workload {
        case .lookup, .mixed:
            return try await lookup(id: 1 + rng.next(below: data.sessions))
        case .create:
            return try await create(channel: Int32(1 + rng.next(below: data.channels)))
        case .setActiveOrder:
            let id = 1 + rng.next(below: data.sessions)
            return try await setActiveOrder(id: id, order: Int32(1 + rng.next(below: data.orders)))
        }
    }
}

/// SplitMix64: a per-task generator, so picking arguments costs no system call and no lock.
struct FastRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
