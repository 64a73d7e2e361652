#if Hummingbird
import Foundation
public import Hummingbird
import LibPQ
import Logging
public import Sessions

/// Vendure's `AuthGuard` for Hummingbird 2: finds the request's session once, before the handler, and
/// sends a new or ended session's token back after it.
///
/// For each request it
/// 1. reads the token from the cookie or the `Authorization: Bearer` header, as configured
///    (``PostgresSessionConfiguration/tokenMethods``), and looks the session up in the store, which renews it
///    at half-life. A malformed token costs no query; malformed, unknown, expired and invalidated tokens
///    all mean "no session", and the client is told to drop the token;
/// 2. reads the channel token (`vendure-token` header or query parameter) and, when it names another
///    channel than the session's, makes that the session's active channel;
/// 3. puts the session in the context (``PostgresSessionContext``), where handlers read it and create,
///    log in or log out;
/// 4. after the handler, writes the token of a new session (`Set-Cookie`, or the `vendure-auth-token`
///    header in bearer mode), clears it after a logout, and refreshes the cookie's `Max-Age` after a
///    renewal.
///
/// A database that cannot be reached answers 503 (``PostgresSessionError/Code/databaseUnavailable``) with
/// a fixed text; no internal detail reaches the client.
///
/// ```swift
/// let router = Router(context: AppContext.self)
/// router.add(middleware: PostgresSessionMiddleware(store: store, channels: PostgresChannelResolver(database: pool)))
/// router.get("/cart") { _, context in context.sessions.session?.activeOrder?.code ?? "empty" }
/// ```
public struct PostgresSessionMiddleware<Context: PostgresSessionRequestContext>: RouterMiddleware {
    let store: SessionStore
    let configuration: PostgresSessionConfiguration
    let channels: (any SessionChannelResolver)?

    /// Creates the middleware.
    ///
    /// - Parameters:
    ///   - store: the session store (share one per process: it holds the cache).
    ///   - configuration: token methods, cookie attributes, header names.
    ///   - channels: finds channels by token; nil to ignore channel tokens.
    public init(
        store: SessionStore, configuration: PostgresSessionConfiguration = PostgresSessionConfiguration(),
        channels: (any SessionChannelResolver)? = nil
    ) {
        self.store = store
        self.configuration = configuration
        self.channels = channels
    }

    /// Looks the session up, runs the handler, writes the token back.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let executor = configuration.taskExecutor else {
            return try await handleHere(request, context: context, next: next)
        }
        return try await withTaskExecutorPreference(executor) {
            try await handleHere(request, context: context, next: next)
        }
    }

    /// ``handle(_:context:next:)`` on the executor it runs on.
    private func handleHere(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let logger = context.logger
        let mapper = PostgresSessionContext.Attachment(store: store, channelID: nil, logger: logger)
        let extracted = configuration.extractToken(from: request)
        var session: CachedSession?
        var renewed = false
        if let extracted, let found = try await mapper.mappingOutages({ try await store.lookup(token: extracted.token) }) {
            session = found.session
            renewed = found.renewed
        }
        var channelID: Int?
        if let channels, let channelToken = configuration.channelToken(of: request) {
            guard let id = try await mapper.mappingOutages({ try await channels.channelID(forToken: channelToken) }) else {
                throw PostgresSessionError(code: .unknownChannel)
            }
            channelID = id
            if let current = session, current.activeChannelId != id {
                do {
                    session = try await mapper.mappingOutages { try await store.setActiveChannel(id, forToken: current.token) }
                } catch let error as PostgresError where error.sqlState == "23503" {
                    // The channel was deleted since the resolver read its token (foreign key violation).
                    throw PostgresSessionError(code: .unknownChannel)
                }
            }
        }
        let stale = extracted != nil && session == nil
        if stale { logger.debug("session token presented is not a live session") }
        context.sessions.attach(
            .init(store: store, channelID: channelID, logger: logger), session: session, outgoing: stale ? .clear : .unchanged)

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var error = error
            if PostgresSessionError.isDatabaseUnavailable(error) {
                logger.warning("database unavailable", metadata: ["error.code": "\(PostgresSessionError.errorCode(error))"])
                error = PostgresSessionError(code: .databaseUnavailable)
            }
            // An error response still carries a session change made before the error (a logout, say).
            guard context.sessions.outcome.outgoing != .unchanged, let generator = error as? any HTTPResponseError else {
                throw error
            }
            response = try generator.response(from: request, context: context)
        }
        writeToken(context.sessions.outcome, request: request, source: extracted?.source, renewed: renewed, to: &response)
        return response
    }

    private func writeToken(
        _ outcome: (session: CachedSession?, outgoing: PostgresSessionContext.Outgoing), request: Request,
        source: SessionTokenSource?, renewed: Bool, to response: inout Response
    ) {
        let methods = configuration.tokenMethods
        switch outcome.outgoing {
        case .issue(let session):
            if methods.contains(.cookie) { response.setCookie(cookie(for: session)) }
            if methods.contains(.bearer) { response.headers[configuration.authTokenHeader] = session.token }
        case .clear:
            if methods.contains(.cookie), request.cookies[configuration.cookie.name] != nil {
                response.setCookie(expiredCookie())
            }
            if methods.contains(.bearer), source == .bearer || request.headers[.authorization] != nil {
                response.headers[configuration.authTokenHeader] = ""
            }
        case .unchanged:
            // A renewal moved the expiry: move the cookie's with it.
            if methods.contains(.cookie), source == .cookie, renewed, let session = outcome.session {
                response.setCookie(cookie(for: session))
            }
        }
    }

    private func cookie(for session: CachedSession) -> Cookie {
        let parameters = configuration.cookie
        let maxAge = max(0, Int(session.expires.timeIntervalSinceNow.rounded(.down)))
        return Cookie(
            name: parameters.name, value: session.token, expires: session.expires, maxAge: maxAge,
            domain: parameters.domain, path: parameters.path, secure: parameters.secure, httpOnly: parameters.httpOnly,
            sameSite: parameters.sameSite)
    }

    private func expiredCookie() -> Cookie {
        let parameters = configuration.cookie
        return Cookie(
            name: parameters.name, value: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0,
            domain: parameters.domain, path: parameters.path, secure: parameters.secure, httpOnly: parameters.httpOnly,
            sameSite: parameters.sameSite)
    }
}
#endif
