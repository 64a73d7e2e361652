#if Hummingbird
import Logging
public import Sessions
import Synchronization

/// The session of one request, as handlers see it: the session ``PostgresSessionMiddleware`` found for the
/// request's token (renewed as the store renews it), and the calls that change it. The middleware sends
/// the resulting token back (cookie or header) after the handler returns.
///
/// A reference type, as HummingbirdAuth's `SessionContext` is: the request context is copied on its way
/// through the middleware chain, and changes made by a handler must reach the middleware. Safe to share
/// between tasks: its state is behind a lock, and no lock is held while the database is called.
public final class PostgresSessionContext: Sendable {
    /// What the middleware hands over: the store, the request's channel and logger.
    struct Attachment: Sendable {
        let store: SessionStore
        let channelID: Int?
        let logger: Logger
    }

    /// What the middleware must tell the client after the handler.
    enum Outgoing: Sendable, Equatable {
        /// Nothing changed.
        case unchanged
        /// A new session (created, or replaced at login): send its token.
        case issue(CachedSession)
        /// The session ended (logout, or the token presented was not valid): drop the token.
        case clear
    }

    struct State: Sendable {
        var attachment: Attachment?
        var session: CachedSession?
        var outgoing = Outgoing.unchanged
    }

    private let state = Mutex(State())

    /// Creates an empty context; ``PostgresSessionMiddleware`` fills it for each request.
    public init() {}

    // MARK: - Reading

    /// The live session of this request, or nil when the request has none (no token, or a token that is
    /// malformed, unknown, expired or invalidated). No query: the middleware looked it up.
    public var session: CachedSession? { state.withLock { $0.session } }

    /// Whether the request has an authenticated (logged-in) session.
    public var isAuthenticated: Bool { session?.kind == .authenticated }

    /// The id of the channel the request is for (from the channel token header or query parameter, or
    /// the configured default), or nil when it names none.
    public var channelID: Int? { state.withLock { $0.attachment?.channelID } }

    // MARK: - Changing

    /// The request's session, creating an anonymous one (in the request's channel) when it has none.
    ///
    /// Call it from handlers that need a session (adding to a cart); pages that only read one use
    /// ``session``, so anonymous visitors who never need one cost no row.
    public func getOrCreateSession() async throws -> CachedSession {
        let (attachment, current) = try attached()
        if let current { return current }
        let created = try await attachment.mappingOutages {
            try await attachment.store.createAnonymousSession(activeChannel: attachment.channelID)
        }
        state.withLock {
            $0.session = created
            $0.outgoing = .issue(created)
        }
        return created
    }

    /// Sets the active order of the request's session, creating an anonymous session first when there is
    /// none. Returns the session as changed.
    ///
    /// - Throws: ``PostgresSessionError/Code/sessionEnded`` when the session was logged out by another
    ///   request meanwhile, and a new one ended too.
    @discardableResult
    public func setActiveOrder(_ orderID: Int) async throws -> CachedSession {
        for _ in 0..<2 {
            let session = try await getOrCreateSession()
            let (attachment, _) = try attached()
            let updated = try await attachment.mappingOutages {
                try await attachment.store.setActiveOrder(orderID, forToken: session.token)
            }
            if let updated {
                replace(updated)
                return updated
            }
            // Logged out or expired since the lookup: start over with a new session.
            state.withLock { $0.session = nil }
        }
        throw PostgresSessionError(code: .sessionEnded)
    }

    /// Clears the active order of the request's session (after the order was placed). Returns the session
    /// as changed, or nil when the request has no live session.
    @discardableResult
    public func unsetActiveOrder() async throws -> CachedSession? {
        let (attachment, current) = try attached()
        guard let current else { return nil }
        let updated = try await attachment.mappingOutages {
            try await attachment.store.unsetActiveOrder(forToken: current.token)
        }
        if let updated { replace(updated) } else { ended() }
        return updated
    }

    /// Logs a user in: creates an authenticated session for `userID` and makes it the request's session,
    /// as Vendure's `AuthService.authenticate` does. An anonymous session's active order moves over to
    /// the new session, and the previous session (anonymous or not) is invalidated, so its token stops
    /// working at once, here and in every process sharing the database.
    ///
    /// The credentials must have been checked by the caller: this records who is logged in.
    ///
    /// - Parameters:
    ///   - userID: the `user.id` of the user who logged in.
    ///   - authenticationStrategy: the strategy that checked the credentials (default: the store's
    ///     `SessionStore.Configuration.defaultAuthenticationStrategy`, `native`).
    /// - Returns: the new session; its token is sent to the client after the handler returns.
    @discardableResult
    public func logIn(userID: Int, authenticationStrategy: String? = nil) async throws -> CachedSession {
        let (attachment, previous) = try attached()
        let order = previous?.kind == .anonymous ? previous?.activeOrderId : nil
        let channel = attachment.channelID ?? previous?.activeChannelId
        let created = try await attachment.mappingOutages {
            try await attachment.store.createAuthenticatedSession(
                user: userID, authenticationStrategy: authenticationStrategy, activeOrder: order, activeChannel: channel)
        }
        if let previous {
            try await attachment.mappingOutages { _ = try await attachment.store.invalidate(token: previous.token) }
        }
        state.withLock {
            $0.session = created
            $0.outgoing = .issue(created)
        }
        attachment.logger.debug("session login", metadata: ["session.id": "\(created.id)"])
        return created
    }

    /// Logs out: invalidates the request's session (evicted from every process's cache through the
    /// store's `NOTIFY`) and tells the client to drop its token. Returns whether a live session ended.
    @discardableResult
    public func logOut() async throws -> Bool {
        let (attachment, current) = try attached()
        var invalidated = false
        if let current {
            invalidated = try await attachment.mappingOutages { try await attachment.store.invalidate(token: current.token) }
        }
        ended()
        return invalidated
    }

    // MARK: - Middleware side

    /// Called by the middleware before the handler.
    func attach(_ attachment: Attachment, session: CachedSession?, outgoing: Outgoing) {
        state.withLock {
            $0.attachment = attachment
            $0.session = session
            $0.outgoing = outgoing
        }
    }

    /// Read by the middleware after the handler.
    var outcome: (session: CachedSession?, outgoing: Outgoing) {
        state.withLock { ($0.session, $0.outgoing) }
    }

    private func attached() throws(PostgresSessionError) -> (Attachment, CachedSession?) {
        let (attachment, session) = state.withLock { ($0.attachment, $0.session) }
        guard let attachment else { throw PostgresSessionError(code: .notAttached) }
        return (attachment, session)
    }

    private func replace(_ updated: CachedSession) {
        state.withLock {
            $0.session = updated
            if case .issue(let issued) = $0.outgoing, issued.token == updated.token { $0.outgoing = .issue(updated) }
        }
    }

    private func ended() {
        state.withLock {
            $0.session = nil
            $0.outgoing = .clear
        }
    }
}

extension PostgresSessionContext.Attachment {
    /// Runs a store call; a database outage becomes ``PostgresSessionError/Code/databaseUnavailable`` (503),
    /// logged at warning level with the error's code only.
    func mappingOutages<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch where PostgresSessionError.isDatabaseUnavailable(error) {
            logger.warning("session store unavailable", metadata: ["error.code": "\(PostgresSessionError.errorCode(error))"])
            throw PostgresSessionError(code: .databaseUnavailable)
        }
    }
}
#endif
