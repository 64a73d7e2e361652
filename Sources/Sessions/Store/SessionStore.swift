import Foundation
import Entities
public import LibPQ
public import Logging
import Metrics
import Synchronization

/// Vendure's `SessionService` over PostgreSQL: creates, finds, renews, changes, invalidates and cleans up
/// web sessions in the `session` table of a Vendure database (or one created from ``VendureSchema``),
/// through statements built from the entity declarations (``SessionStatements``).
///
/// The store runs its statements on any `PostgresQueryable` (a connection or a pool); each operation is
/// one statement, so operations pipeline and need no pinned connection or transaction.
///
/// ```swift
/// let store = SessionStore(database: connection, cache: InMemorySessionCache())
/// let session = try await store.createAnonymousSession()
/// let found = try await store.session(forToken: session.token)   // cached: no query
/// ```
///
/// Differences from Vendure: sessions are renewed on cache hits too (Vendure renews only on misses, issue
/// #4457); concurrent lookups write at most one renewal; the cache really evicts; deleting an order or a
/// channel that sessions reference works and evicts cached copies (#686, #1454); changes made by one
/// process evict the copies other processes cached (see ``SessionInvalidationListener``).
public final class SessionStore: Sendable {
    /// Settings of a store.
    public struct Configuration: Sendable {
        /// How long a session lives, and how far each renewal extends it (Vendure's `sessionDuration`). A
        /// session is renewed when less than half of it is left.
        ///
        /// Default: Vendure's `'1y'`, which Vendure reads with the `ms` package, where a year is 365.25
        /// days: 31,557,600 s (``vendureDefaultSessionDuration``).
        public var sessionDuration: Duration = Configuration.vendureDefaultSessionDuration
        /// The longest a cache call may take before the store gives up on it and uses the database.
        public var cacheTimeout: Duration = .milliseconds(100)
        /// A timeout for each statement, or nil for none.
        public var queryTimeout: Duration?
        /// The `NOTIFY` channel that changes are published on; empty to publish nothing.
        public var invalidationChannel: String = "session_cache_invalidation"
        /// Anonymous sessions without an active order that have not changed (`updatedAt`) for this long are
        /// removed by cleanup; nil keeps them until they expire. Default 7 days.
        public var anonymousIdleTimeout: Duration? = .seconds(7 * 86_400)
        /// The authentication strategy name recorded when none is given.
        public var defaultAuthenticationStrategy = "native"
        /// The custom fields of sessions (Vendure's `customFields.Session`): the store writes, reads, returns
        /// and caches them. The `session` table must have their columns (``VendureSchema/migrator(customFields:schema:options:logger:)``).
        public var customFields: [CustomField] = []

        /// The default settings.
        public init() {}

        /// Vendure's default session duration, `'1y'` as the `ms` package reads it: 365.25 days,
        /// 31,557,600 seconds (not 365 days).
        public static let vendureDefaultSessionDuration: Duration = .seconds(31_557_600)

        /// Throws ``SessionStoreError/Code/invalidConfiguration`` naming the first setting out of range:
        /// ``sessionDuration`` must be positive, ``anonymousIdleTimeout`` positive or nil,
        /// ``cacheTimeout`` not negative, ``queryTimeout`` positive or nil. A store created with such a
        /// configuration throws that error from every operation.
        public func validate() throws(SessionStoreError) {
            guard sessionDuration > .zero else { throw .invalidConfiguration("sessionDuration", "must be positive") }
            if let idle = anonymousIdleTimeout, idle <= .zero {
                throw .invalidConfiguration("anonymousIdleTimeout", "must be positive, or nil to keep idle anonymous sessions")
            }
            guard cacheTimeout >= .zero else { throw .invalidConfiguration("cacheTimeout", "cannot be negative") }
            if let timeout = queryTimeout, timeout <= .zero {
                throw .invalidConfiguration("queryTimeout", "must be positive, or nil for none")
            }
            var names = Set<String>()
            for field in customFields {
                guard !field.name.isEmpty, field.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw .invalidConfiguration("customFields", "names must be letters, digits and underscores")
                }
                guard names.insert(field.columnName).inserted else {
                    throw .invalidConfiguration("customFields", "has two fields with the column \(field.columnName)")
                }
                if !field.nullable && field.defaultValue == nil {
                    throw .invalidConfiguration("customFields", "\(field.name) is not nullable and has no default")
                }
            }
        }
    }

    /// The statements this store runs, built from the entities and ``Configuration/customFields``.
    public let statements: SessionStatements
    let database: any PostgresQueryable
    /// Where lookups go when it can answer them (a standby), if anywhere.
    let replica: (any PostgresQueryable)?
    /// What the standby may answer for (see ``ReplicaFloors``).
    let replicaFloors = ReplicaFloors()
    let cache: any SessionCacheStrategy
    let clock: any SessionClock
    /// The settings.
    public let configuration: Configuration
    let logger: Logger
    /// A random id of this store instance; notifications it publishes carry it so its own listener can
    /// ignore them.
    public let instanceID: String
    /// `<instanceID>:`, the prefix of every payload this store publishes.
    let payloadPrefix: String
    let duration: TimeInterval
    let counters = SessionStoreCounters()
    let generations = CacheGenerations()
    let renewals = RenewalFlights()
    let metrics: SessionMetrics
    /// What ``Configuration/validate()`` threw, thrown again by every operation.
    let configurationError: SessionStoreError?

    /// Creates a store.
    ///
    /// - Parameters:
    ///   - database: where statements run (a connection or a pool).
    ///   - replica: where lookups go when it can answer them (a streaming standby), or nil for none: every
    ///     change this store makes or hears of holds that session on `database` until the standby has
    ///     replayed it, and a miss, a lag or a failure there falls back to `database`.
    ///   - cache: where sessions are cached between lookups; ``NoSessionCache`` to always read the database.
    ///   - clock: the source of the current time.
    ///   - configuration: durations, channel, timeouts. When ``Configuration/validate()`` throws, so does
    ///     every operation of the store.
    ///   - logger: debug-level events; tokens are never logged, only a short prefix.
    public init(
        database: any PostgresQueryable,
        replica: (any PostgresQueryable)? = nil,
        cache: any SessionCacheStrategy = InMemorySessionCache(),
        clock: any SessionClock = SystemSessionClock(),
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "Sessions", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.database = database
        self.replica = replica
        self.cache = cache
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.duration = configuration.sessionDuration.timeInterval
        self.instanceID = String(SessionToken.generate().prefix(16))
        self.payloadPrefix = instanceID + ":"
        self.metrics = SessionMetrics()
        var configurationError: SessionStoreError?
        do {
            try configuration.validate()
        } catch {
            configurationError = error
        }
        var statements = SessionStatements.standard
        if configurationError == nil && !configuration.customFields.isEmpty {
            do {
                statements = try SessionStatements(customFields: configuration.customFields)
            } catch {
                configurationError = .invalidConfiguration("customFields", "cannot be columns of the session table: \(error)")
            }
        }
        self.statements = statements
        self.configurationError = configurationError
    }

    /// The counters of this store since it was created.
    public var statistics: SessionStoreStatistics { counters.snapshot() }

    // MARK: - Creating

    /// Creates an anonymous session (no user), optionally in a channel, and caches it.
    public func createAnonymousSession(
        activeChannel channelID: Int? = nil, customFields: CustomSessionFields = CustomSessionFields()
    ) async throws -> CachedSession {
        try await create(
            kind: .anonymous, userID: nil, strategy: nil, orderID: nil, channelID: channelID, customFields: customFields)
    }

    /// Creates an authenticated session for a user (a login), and caches it.
    ///
    /// - Parameters:
    ///   - userID: the `user.id`.
    ///   - authenticationStrategy: the strategy that authenticated the user (default
    ///     ``Configuration/defaultAuthenticationStrategy``).
    ///   - orderID: an order to carry over (`activeOrder:`), typically the anonymous session's active order.
    ///   - channelID: the channel the user logged in to (`activeChannel:`).
    ///   - customFields: values of ``Configuration/customFields`` (the others are NULL).
    public func createAuthenticatedSession(
        user userID: Int, authenticationStrategy: String? = nil, activeOrder orderID: Int? = nil,
        activeChannel channelID: Int? = nil, customFields: CustomSessionFields = CustomSessionFields()
    ) async throws -> CachedSession {
        try await create(
            kind: .authenticated, userID: userID,
            strategy: authenticationStrategy ?? configuration.defaultAuthenticationStrategy,
            orderID: orderID, channelID: channelID, customFields: customFields)
    }

    private func create(
        kind: CachedSession.Kind, userID: Int?, strategy: String?, orderID: Int?, channelID: Int?,
        customFields: CustomSessionFields
    ) async throws -> CachedSession {
        if let unknown = customFields.values.keys.first(where: { name in !statements.customFields.contains { $0.name == name } }) {
            throw SessionStoreError.invalidCustomField(unknown, "is not a configured custom field")
        }
        for field in statements.customFields { try field.check(customFields[field.name]) }
        var attempt = 0
        while true {
            attempt += 1
            let token = SessionToken.generate()
            let key = SessionCacheKey(token: token)
            let now = clock.now.roundedToMicroseconds
            let expires = now.addingTimeInterval(duration).roundedToMicroseconds
            let generation = generations.current(key)
            let rows: PostgresRows
            do {
                var parameters = binds(
                    PostgresTimestamp(now), token, PostgresTimestamp(expires), kind.rawValue, userID, strategy,
                    orderID, channelID)
                for field in statements.customFields {
                    field.bind(customFields[field.name] ?? field.defaultValue, to: &parameters)
                }
                rows = try await run(statements.insert.sql, parameters)
            } catch let error as PostgresError where error.sqlState == "23505" && attempt < 3 {
                // A token collision (2^-256): draw another.
                continue
            }
            guard let row = rows.first else {
                throw PostgresError(code: .protocolViolation, message: "INSERT ... RETURNING returned no row", query: statements.insert.sql)
            }
            let session = try statements.decode(row, from: statements.insert)
            counters.created.add(1, ordering: .relaxed)
            metrics.created.increment()
            await fill(session, key: key, generation: generation)
            logger.debug(
                "session created",
                metadata: ["session.id": "\(session.id)", "session.kind": "\(kind.rawValue)", "session.token": "\(SessionToken.redacted(token))"])
            return session
        }
    }

    // MARK: - Statements

    func binds<each T: PostgresEncodable>(_ values: repeat each T) -> PostgresBindings {
        var b = PostgresBindings()
        repeat b.append(each values)
        return b
    }

    /// Runs one of the ``statements``.
    func run(_ sql: String, _ binds: PostgresBindings, readOnly: Bool = false) async throws -> PostgresRows {
        if let configurationError { throw configurationError }
        counters.queries.add(1, ordering: .relaxed)
        let query = PostgresQuery(unsafeSQL: sql, binds: binds).readOnly(readOnly)
        return try await database.query(query, timeout: configuration.queryTimeout)
    }

    /// Reads a live session by token from the database.
    func fetch(token: String, now: Date) async throws -> CachedSession? {
        counters.databaseLookups.add(1, ordering: .relaxed)
        guard let replica else {
            // Read-only: concurrent lookups on one connection share a sync point (see `PostgresQuery.isReadOnly`).
            let rows = try await run(statements.lookup.sql, binds(token, PostgresTimestamp(now)), readOnly: true)
            guard let row = rows.first else { return nil }
            return try statements.decode(row, from: statements.lookup)
        }
        return try await fetchRouted(token: token, now: now, replica: replica)
    }
}
