#if Hummingbird
import Foundation
public import LibPQ
import Synchronization

/// Finds the channel a channel token names (Vendure's `ChannelService.getChannelFromToken`).
public protocol SessionChannelResolver: Sendable {
    /// The `channel.id` of the channel whose token is `token`, or nil when no channel has it.
    func channelID(forToken token: String) async throws -> Int?
}

/// Reads channel ids from the `channel` table (`SELECT id FROM channel WHERE token = $1`) and keeps the
/// answers for a while, as Vendure keeps its channels in memory: a request naming a known channel costs no
/// query. Unknown tokens are not remembered (a client could fill memory with them), and tokens longer than
/// 255 characters are answered without a query.
public final class PostgresChannelResolver: SessionChannelResolver {
    private struct Entry {
        var id: Int
        var fetched: ContinuousClock.Instant
    }

    private let database: any PostgresQueryable
    private let timeToLive: Duration
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    /// Creates a resolver.
    ///
    /// - Parameters:
    ///   - database: where the `channel` table is (a pool, usually the store's).
    ///   - timeToLive: how long an answer is reused; a channel whose token changes is seen after this.
    ///   - capacity: the most tokens remembered; past it, the memory starts again empty.
    public init(database: any PostgresQueryable, timeToLive: Duration = .seconds(30), capacity: Int = 1024) {
        self.database = database
        self.timeToLive = timeToLive
        self.capacity = max(1, capacity)
    }

    /// The id of the channel with `token`, from memory when it was read less than `timeToLive` ago.
    public func channelID(forToken token: String) async throws -> Int? {
        guard !token.isEmpty, token.utf8.count <= 255 else { return nil }
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[token] }), now - entry.fetched < timeToLive { return entry.id }
        let query: PostgresQuery = "SELECT id FROM channel WHERE token = \(token)"
        let rows = try await database.query(query.readOnly())
        guard let row = rows.first else {
            entries.withLock { _ = $0.removeValue(forKey: token) }
            return nil
        }
        let id = try row.decode(Int.self, at: 0)
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[token] = Entry(id: id, fetched: now)
        }
        return id
    }
}
#endif
