#if Hummingbird
public import Hummingbird

/// A request context that carries the request's session: adopt it in your application's context (one
/// stored property) and add ``PostgresSessionMiddleware`` to the router.
///
/// ```swift
/// struct AppContext: PostgresSessionRequestContext {
///     var coreContext: CoreRequestContextStorage
///     let sessions = PostgresSessionContext()
///     init(source: Source) { coreContext = .init(source: source) }
/// }
/// ```
public protocol PostgresSessionRequestContext: RequestContext {
    /// The session of this request: looked up once by ``PostgresSessionMiddleware``, changed by handlers.
    var sessions: PostgresSessionContext { get }
}

/// The smallest context with a session, for applications that need nothing else in theirs.
public struct BasicPostgresSessionRequestContext: PostgresSessionRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's session.
    public let sessions: PostgresSessionContext

    /// Creates the context of one request.
    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.sessions = PostgresSessionContext()
    }
}
#endif
