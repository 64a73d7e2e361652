@_spi(PoolInternals) public import LibPQ
public import Logging
import Synchronization

/// A ``PoolConnectionFactory`` that never reaches a server: every attempt fails with `error` (the way an
/// unreachable server does), counting attempts.
@_spi(PoolInternals)
public final class FailingConnectionFactory: PoolConnectionFactory, Sendable {
    public let error: PostgresError
    private let count = Atomic<Int>(0)

    public init(error: PostgresError = PostgresError(code: .connection, message: "connection refused (fake)")) {
        self.error = error
    }

    /// Connection attempts so far.
    public var attempts: Int { count.load(ordering: .relaxed) }

    public func makeConnection(configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        count.add(1, ordering: .relaxed)
        throw error
    }
}
